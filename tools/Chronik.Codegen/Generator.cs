namespace Chronik.Codegen;

/// <summary>Reads every spec, generates every file and writes them; output is byte-for-byte deterministic.</summary>
public static class Generator
{
    public const string TableFileName = "ApiMessageTypes.g.cs";

    public static string DefaultSpecsDirectory(string repositoryRoot) =>
        Path.GetFullPath(Path.Combine(repositoryRoot, "..", "shared", "kafka-message-specs"));

    public static string DefaultOutputDirectory(string repositoryRoot) =>
        Path.Combine(repositoryRoot, "src", "Chronik.Protocol", "Messages", "Generated");

    /// <summary>The nearest folder at or above <paramref name="start"/> that holds Chronik.slnx.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Chronik.slnx")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>Generated files by name (one per spec plus the API table), in ordinal name order.</summary>
    public static SortedDictionary<string, string> Generate(string specsDirectory, List<string>? renamed = null)
    {
        var files = Directory.GetFiles(specsDirectory, "*.json").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new SpecException($"no *.json specs in {specsDirectory}");
        }

        var specs = new List<MessageSpec>();
        var output = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            MessageSpec spec;
            string code;
            try
            {
                spec = MessageSpec.Parse(File.ReadAllText(file), Path.GetFileName(file));
                var model = new MessageModel(spec);
                code = new MessageEmitter(model).Emit();
                renamed?.AddRange(model.Renamed);
            }
            catch (SpecException e)
            {
                throw new SpecException($"{Path.GetFileName(file)}: {e.Message}");
            }

            specs.Add(spec);
            output.Add(spec.Name + ".g.cs", code);
        }

        output.Add(TableFileName, ApiTableEmitter.Emit(specs));
        return output;
    }

    /// <summary>Writes the generated files into <paramref name="outputDirectory"/> and deletes stale *.g.cs files there.</summary>
    public static IReadOnlyList<string> Run(string specsDirectory, string outputDirectory, List<string>? renamed = null)
    {
        SortedDictionary<string, string> generated = Generate(specsDirectory, renamed);
        Directory.CreateDirectory(outputDirectory);
        foreach (string stale in Directory.GetFiles(outputDirectory, "*.g.cs"))
        {
            if (!generated.ContainsKey(Path.GetFileName(stale)))
            {
                File.Delete(stale);
            }
        }

        var written = new List<string>();
        foreach ((string name, string code) in generated)
        {
            string path = Path.Combine(outputDirectory, name);
            if (!File.Exists(path) || File.ReadAllText(path) != code)
            {
                File.WriteAllText(path, code);
            }

            written.Add(path);
        }

        return written;
    }
}
