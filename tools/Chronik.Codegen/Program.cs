namespace Chronik.Codegen;

/// <summary>
/// Generates src/Chronik.Protocol/Messages/Generated from Kafka's JSON message specs.
/// Usage: Chronik.Codegen [--specs DIR] [--out DIR]. Defaults: ../shared/kafka-message-specs beside
/// the repository root (the folder holding Chronik.slnx) and the Generated folder inside it.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            (string specs, string output) = ParseArguments(args);
            var renamed = new List<string>();
            IReadOnlyList<string> written = Generator.Run(specs, output, renamed);
            foreach (string rename in renamed)
            {
                Console.WriteLine($"codegen: renamed {rename} (C# name collision)");
            }

            Console.WriteLine($"codegen: wrote {written.Count} files from {specs} to {output}");
            return 0;
        }
        catch (Exception e) when (e is SpecException or ArgumentException or IOException)
        {
            Console.Error.WriteLine($"codegen: {e.Message}");
            return 1;
        }
    }

    private static (string Specs, string Output) ParseArguments(string[] args)
    {
        string? specs = null;
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--specs":
                    specs = value;
                    break;
                case "--out":
                    output = value;
                    break;
                default:
                    throw new ArgumentException($"unknown argument {args[i]}; usage: [--specs DIR] [--out DIR]");
            }

            i++;
        }

        if (specs is null || output is null)
        {
            string root = Generator.FindRepositoryRoot(Directory.GetCurrentDirectory())
                ?? Generator.FindRepositoryRoot(AppContext.BaseDirectory)
                ?? throw new ArgumentException("cannot find the repository root (Chronik.slnx); pass --specs and --out");
            specs ??= Generator.DefaultSpecsDirectory(root);
            output ??= Generator.DefaultOutputDirectory(root);
        }

        return (Path.GetFullPath(specs), Path.GetFullPath(output));
    }
}
