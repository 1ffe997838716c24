namespace Chronik.Storage.Tests;

/// <summary>
/// Entry point of this assembly when it is run as a program rather than loaded by the test host: the crash
/// test starts it as a child process (<c>dotnet Chronik.Storage.Tests.dll crash-child DIR SEED</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == CrashChild.Verb)
        {
            return CrashChild.Run(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
        }

        Console.Error.WriteLine($"usage: {CrashChild.Verb} <data-dir> <seed>");
        return 2;
    }
}
