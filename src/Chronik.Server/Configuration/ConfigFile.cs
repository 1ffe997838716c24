using Chronik.Broker.Configs;
using System.Globalization;
using Tomlyn;
using Tomlyn.Model;

namespace Chronik.Server.Configuration;

/// <summary>A value from one source, with the words that name its origin in an error message.</summary>
internal readonly record struct RawSetting(string Text, string Origin);

/// <summary>
/// The TOML config file: server settings as top-level snake_case keys (the same names as the flags),
/// Kafka broker configs in a [broker] table under Kafka's names, either quoted
/// ("log.retention.hours" = 24) or as TOML dotted keys (log.retention.hours = 24). Anything else is an
/// unknown key and refused.
/// </summary>
internal sealed class ConfigFile
{
    private const string BrokerTable = "broker";

    private ConfigFile(string? path, Dictionary<string, RawSetting> settings, Dictionary<string, RawSetting> broker)
    {
        Path = path;
        Settings = settings;
        Broker = broker;
    }

    public static ConfigFile Empty { get; } = new(null, [], []);

    public string? Path { get; }

    /// <summary>Server settings by key.</summary>
    public IReadOnlyDictionary<string, RawSetting> Settings { get; }

    /// <summary>Broker configs by Kafka name.</summary>
    public IReadOnlyDictionary<string, RawSetting> Broker { get; }

    /// <summary>Reads and checks the file; <paramref name="pathOrigin"/> names where the path came from.</summary>
    public static ConfigFile Load(string path, string pathOrigin)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigurationException($"{pathOrigin}: cannot read config file '{path}': {OneLine(ex.Message)}");
        }

        TomlTable root;
        try
        {
            root = TomlSerializer.Deserialize<TomlTable>(text) ?? new TomlTable();
        }
        catch (TomlException ex)
        {
            throw new ConfigurationException($"config file '{path}': {OneLine(ex.Message)}");
        }

        var settings = new Dictionary<string, RawSetting>(StringComparer.Ordinal);
        var broker = new Dictionary<string, RawSetting>(StringComparer.Ordinal);
        foreach (var (key, value) in root)
        {
            if (key == BrokerTable && value is TomlTable brokerTable)
            {
                ReadBrokerTable(path, brokerTable, "", broker);
                continue;
            }

            var definition = ServerSettingDefinitions.All.FirstOrDefault(d => d.Key == key);
            if (definition is null)
            {
                string hint = Suggest(key, ServerSettingDefinitions.All.Select(d => d.Key).Append(BrokerTable));
                throw new ConfigurationException($"config file '{path}': unknown key '{key}'{hint}");
            }

            string origin = $"{key} in '{path}'";
            settings[key] = new RawSetting(ToText(value, origin), origin);
        }

        return new ConfigFile(path, settings, broker);
    }

    /// <summary>" (did you mean 'x'?)" when a candidate is within two edits of <paramref name="name"/>, else "".</summary>
    internal static string Suggest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (string candidate in candidates)
        {
            int distance = EditDistance(name, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best is null ? "" : $" (did you mean '{best}'?)";
    }

    internal static string OneLine(string message) =>
        string.Join("; ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static void ReadBrokerTable(string path, TomlTable table, string prefix, Dictionary<string, RawSetting> broker)
    {
        foreach (var (key, value) in table)
        {
            string name = prefix + key;
            if (value is TomlTable nested)
            {
                ReadBrokerTable(path, nested, name + ".", broker);
                continue;
            }

            if (!BrokerConfigCatalog.TryGet(name, out _))
            {
                string hint = Suggest(name, BrokerConfigCatalog.All.Select(d => d.Name));
                throw new ConfigurationException($"config file '{path}': unknown Kafka broker config '{name}' in [broker]{hint}");
            }

            string origin = $"{name} in [broker] of '{path}'";
            broker[name] = new RawSetting(ToText(value, origin), origin);
        }
    }

    /// <summary>TOML scalars as text; arrays of scalars as a comma-separated list (peers, list configs).</summary>
    private static string ToText(object? value, string origin) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long n => n.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        TomlArray array => string.Join(",", array.Select(item => item is TomlArray or TomlTable or null
            ? throw new ConfigurationException($"{origin}: expected a list of plain values")
            : ToText(item, origin))),
        _ => throw new ConfigurationException($"{origin}: unsupported value type {value?.GetType().Name ?? "null"}"),
    };

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), substitution);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
