namespace Chronik.Server;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("chronik-server: not built yet");
        return 1;
    }
}
