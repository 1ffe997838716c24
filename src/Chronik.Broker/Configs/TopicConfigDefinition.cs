using System.Globalization;

namespace Chronik.Broker.Configs;

/// <summary>
/// A broker config that supplies a topic config's value when the topic has no override
/// (Kafka's ServerTopicConfigSynonyms), with the unit conversion Kafka applies (log.retention.hours →
/// retention.ms). A topic config lists its synonyms highest precedence first.
/// </summary>
public sealed class TopicConfigSynonym
{
    private const long MillisecondsPerMinute = 60_000;
    private const long MillisecondsPerHour = 3_600_000;

    private readonly long _millisecondsPerUnit;
    private readonly bool _negativeMeansUnlimited;

    private TopicConfigSynonym(string brokerConfig, long millisecondsPerUnit, bool negativeMeansUnlimited)
    {
        BrokerConfig = brokerConfig;
        _millisecondsPerUnit = millisecondsPerUnit;
        _negativeMeansUnlimited = negativeMeansUnlimited;
    }

    /// <summary>The broker config name, e.g. "log.retention.hours".</summary>
    public string BrokerConfig { get; }

    /// <summary>A broker config with the topic config's own unit.</summary>
    public static TopicConfigSynonym Same(string brokerConfig) => new(brokerConfig, 1, negativeMeansUnlimited: false);

    /// <summary>A broker config in minutes or hours for a topic config in milliseconds.</summary>
    public static TopicConfigSynonym Minutes(string brokerConfig, bool negativeMeansUnlimited = false) => new(brokerConfig, MillisecondsPerMinute, negativeMeansUnlimited);

    /// <inheritdoc cref="Minutes"/>
    public static TopicConfigSynonym Hours(string brokerConfig, bool negativeMeansUnlimited = false) => new(brokerConfig, MillisecondsPerHour, negativeMeansUnlimited);

    /// <summary>
    /// The broker value in the topic config's unit. Retention synonyms map any negative result to -1
    /// (Kafka's KafkaConfig.logRetentionTimeMillis: a negative retention means unlimited).
    /// </summary>
    public string ToTopicValue(string brokerValue)
    {
        if (_millisecondsPerUnit == 1 && !_negativeMeansUnlimited)
        {
            return brokerValue;
        }

        if (!long.TryParse(brokerValue.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long units))
        {
            return brokerValue;
        }

        long milliseconds = units > long.MaxValue / _millisecondsPerUnit ? long.MaxValue
            : units < long.MinValue / _millisecondsPerUnit ? long.MinValue
            : units * _millisecondsPerUnit;
        if (_negativeMeansUnlimited && milliseconds < 0)
        {
            milliseconds = -1;
        }

        return milliseconds.ToString(CultureInfo.InvariantCulture);
    }

    public override string ToString() => BrokerConfig;
}

/// <summary>
/// One Kafka topic config: Kafka's name, type, default (as Kafka prints it; null when Chronik's default
/// is "unset"), bounds or allowed values, a one-line description, and the broker configs that supply
/// its value when the topic does not override it. Values are validated as Kafka's LogConfig validates
/// them, and refusals are worded as Kafka words them ("Invalid value x for configuration y: ...");
/// a check beyond type and bounds gets (name, text, typed value) and returns the refusal or null.
/// </summary>
public sealed class TopicConfigDefinition
{
    private readonly Func<string, string, object, string?>? _check;

    public TopicConfigDefinition(
        string name,
        BrokerConfigType type,
        string? defaultValue,
        string documentation,
        IReadOnlyList<TopicConfigSynonym>? synonyms = null,
        long? min = null,
        long? max = null,
        IReadOnlyList<string>? validValues = null,
        Func<string, string, object, string?>? check = null)
    {
        Name = name;
        Type = type;
        Default = defaultValue;
        Documentation = documentation;
        Synonyms = synonyms ?? [];
        Min = min;
        Max = max;
        ValidValues = validValues;
        _check = check;
    }

    /// <summary>Kafka's topic config name, e.g. "retention.ms".</summary>
    public string Name { get; }

    public BrokerConfigType Type { get; }

    /// <summary>The default in Kafka's string form; null when the config is unset by default.</summary>
    public string? Default { get; }

    public string Documentation { get; }

    /// <summary>Broker configs that supply the value when the topic has no override, highest precedence first.</summary>
    public IReadOnlyList<TopicConfigSynonym> Synonyms { get; }

    /// <summary>The broker config Kafka's docs name as "Server Default Property", or null.</summary>
    public string? ServerDefaultProperty => Synonyms.Count > 0 ? Synonyms[0].BrokerConfig : null;

    public long? Min { get; }

    public long? Max { get; }

    public IReadOnlyList<string>? ValidValues { get; }

    public bool IsList => Type == BrokerConfigType.List;

    /// <summary>True for passwords (none of Kafka's topic configs is one).</summary>
    public bool IsSensitive => Type == BrokerConfigType.Password;

    /// <summary>Kafka's refusal of a value: "Invalid value {value} for configuration {name}: {reason}".</summary>
    public static string InvalidValue(string name, string value, string reason) => $"Invalid value {value} for configuration {name}: {reason}";

    /// <summary>
    /// Parses and validates <paramref name="text"/>; on refusal <paramref name="error"/> is Kafka's
    /// message naming this config.
    /// </summary>
    public bool TryParse(string text, out object? value, out string error)
    {
        if (!ConfigValueParser.TryParse(Type, Min, Max, ValidValues, text, out value, out ConfigProblem problem))
        {
            string bound = problem.Bound.ToString(CultureInfo.InvariantCulture);
            string reason = problem switch
            {
                { Kind: ConfigProblemKind.NotOfType } when Type == BrokerConfigType.Boolean => "Expected value to be either true or false",
                { Kind: ConfigProblemKind.NotOfType } or { OutsideType: true } => $"Not a number of type {Type.ToString().ToUpperInvariant()}",
                { Kind: ConfigProblemKind.BelowMinimum } => $"Value must be at least {bound}",
                { Kind: ConfigProblemKind.AboveMaximum } => $"Value must be no more than {bound}",
                _ => $"String must be one of: {string.Join(", ", ValidValues ?? [])}",
            };
            error = InvalidValue(Name, problem.Kind == ConfigProblemKind.NotAllowed ? problem.Item ?? text : text, reason);
            return false;
        }

        if (_check?.Invoke(Name, text, value!) is { } refused)
        {
            value = null;
            error = refused;
            return false;
        }

        error = "";
        return true;
    }

    /// <summary>A valid value as Kafka prints it (trimmed, lists joined by commas); the text itself when it does not parse.</summary>
    public string Normalize(string text) =>
        ConfigValueParser.TryParse(Type, Min, Max, ValidValues, text, out object? value, out _) && value is not null
            ? ConfigValueParser.Format(value)
            : text;

    public override string ToString() => Name;
}
