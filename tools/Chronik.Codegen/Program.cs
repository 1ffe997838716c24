namespace Chronik.Codegen;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("codegen: not written yet");
        return 1;
    }
}
