namespace Chronik.Broker.Configs;

/// <summary>One broker config's effective value.</summary>
public sealed class BrokerConfigEntry(BrokerConfigDefinition definition, string? value, object? typedValue, BrokerConfigSource source)
{
    public BrokerConfigDefinition Definition { get; } = definition;

    public string Name => Definition.Name;

    /// <summary>The value as Kafka prints it (DescribeConfigs); null when unset and without default.</summary>
    public string? Value { get; } = value;

    /// <summary>bool, short, int, long, double, string or IReadOnlyList&lt;string&gt;, or null.</summary>
    public object? TypedValue { get; } = typedValue;

    public BrokerConfigSource Source { get; } = source;

    public override string ToString() => $"{Name}={Value} ({Source})";
}

/// <summary>The effective Kafka broker configs of this node: every entry of <see cref="BrokerConfigCatalog"/>.</summary>
public sealed class BrokerConfigs
{
    private readonly Dictionary<string, BrokerConfigEntry> _byName;

    public BrokerConfigs(IReadOnlyList<BrokerConfigEntry> entries)
    {
        Entries = entries;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>All configs, sorted by name.</summary>
    public IReadOnlyList<BrokerConfigEntry> Entries { get; }

    public bool TryGet(string name, out BrokerConfigEntry entry) => _byName.TryGetValue(name, out entry!);

    public BrokerConfigEntry this[string name] =>
        _byName.TryGetValue(name, out var entry) ? entry : throw new KeyNotFoundException($"'{name}' is not a broker config Chronik knows");

    public bool GetBoolean(string name) => Get<bool>(name);

    public short GetInt16(string name) => Get<short>(name);

    public int GetInt32(string name) => Get<int>(name);

    public long GetInt64(string name) => Get<long>(name);

    public double GetDouble(string name) => Get<double>(name);

    /// <summary>The value of a string config, null when unset.</summary>
    public string? GetString(string name) => (string?)this[name].TypedValue;

    public IReadOnlyList<string> GetList(string name) => (IReadOnlyList<string>?)this[name].TypedValue ?? [];

    /// <summary>The value of a numeric config without default (log.retention.ms ...), null when unset.</summary>
    public T? GetOptional<T>(string name)
        where T : struct => this[name].TypedValue is T value ? value : null;

    private T Get<T>(string name)
        where T : struct => this[name].TypedValue is T value
            ? value
            : throw new InvalidOperationException($"broker config '{name}' is unset or not of type {typeof(T).Name}");
}
