using System.Globalization;

namespace Chronik.Transactions.Tests;

/// <summary>
/// Entry point of this assembly when run as a program rather than loaded by the test host: the
/// consume-transform-produce test starts it as the application it kills
/// (<c>dotnet Chronik.Transactions.Tests.dll ctp BOOTSTRAP INPUT OUTPUT GROUP TRANSACTIONAL_ID BATCH</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 7 && args[0] == ConsumeTransformProduceApp.Verb)
        {
            return new ConsumeTransformProduceApp(args[1], args[2], args[3], args[4], args[5], int.Parse(args[6], CultureInfo.InvariantCulture)).Run();
        }

        Console.Error.WriteLine($"usage: {ConsumeTransformProduceApp.Verb} <bootstrap> <input> <output> <group> <transactional-id> <batch>");
        return 2;
    }
}
