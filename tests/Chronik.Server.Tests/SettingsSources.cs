using Chronik.Server.Cli;
using Chronik.Server.Configuration;
using Chronik.Testing;

namespace Chronik.Server.Tests;

/// <summary>Builds settings from an argument list, an environment and an optional TOML text, like chronik-server does.</summary>
internal sealed class SettingsSources : IDisposable
{
    private readonly TempDirectory _dir = new("settings");

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public string Directory => _dir.Path;

    /// <summary>Writes the config file and returns its path.</summary>
    public string WriteConfig(string toml, string name = "chronik.toml")
    {
        string path = Path.Combine(_dir.Path, name);
        File.WriteAllText(path, toml);
        return path;
    }

    public ServerSettings Load(params string[] args)
    {
        var commandLine = new ServerCommandLine();
        var parse = commandLine.Parse(args);
        Assert.True(parse.Errors.Count == 0, string.Join("; ", parse.Errors.Select(e => e.Message)));
        return SettingsLoader.Load(commandLine.ToValues(parse), Environment, _dir.Path);
    }

    /// <summary>The one-line message of the configuration error <paramref name="args"/> cause.</summary>
    public string Error(params string[] args) => Assert.Throws<ConfigurationException>(() => Load(args)).Message;

    public void Dispose() => _dir.Dispose();
}
