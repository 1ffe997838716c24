using System.Globalization;

namespace Chronik.Broker.Configs;

/// <summary>
/// One Kafka broker config Chronik accepts: Kafka's name, type, default (as Kafka prints it, null when
/// Kafka has none), allowed range or values, and a one-line description.
/// </summary>
public sealed class BrokerConfigDefinition
{
    public BrokerConfigDefinition(
        string name,
        BrokerConfigType type,
        string? defaultValue,
        string documentation,
        long? min = null,
        long? max = null,
        IReadOnlyList<string>? validValues = null)
    {
        Name = name;
        Type = type;
        Default = defaultValue;
        Documentation = documentation;
        Min = min;
        Max = max;
        ValidValues = validValues;
    }

    /// <summary>Kafka's config name, e.g. "num.partitions".</summary>
    public string Name { get; }

    public BrokerConfigType Type { get; }

    /// <summary>Kafka's default in its string form; null when Kafka has no default value.</summary>
    public string? Default { get; }

    public string Documentation { get; }

    /// <summary>Inclusive bounds for numeric types.</summary>
    public long? Min { get; }

    public long? Max { get; }

    /// <summary>Allowed values for strings (case-sensitive, like Kafka's ValidString) and list elements.</summary>
    public IReadOnlyList<string>? ValidValues { get; }

    /// <summary>True for passwords: DescribeConfigs must not return their values.</summary>
    public bool IsSensitive => Type == BrokerConfigType.Password;

    /// <summary>The CHRONIK_BROKER_* variable that sets this config ("num.partitions" → CHRONIK_BROKER_NUM_PARTITIONS).</summary>
    public string EnvironmentVariable => "CHRONIK_BROKER_" + Name.Replace('.', '_').ToUpperInvariant();

    /// <summary>
    /// Parses <paramref name="text"/> into the typed value (bool, short, int, long, double, string or a
    /// string list). Returns false with a reason (to follow the quoted value) when it is not acceptable.
    /// </summary>
    public bool TryParse(string text, out object? value, out string problem)
    {
        if (ConfigValueParser.TryParse(Type, Min, Max, ValidValues, text, out value, out ConfigProblem refused))
        {
            problem = "";
            return true;
        }

        problem = refused.Kind switch
        {
            ConfigProblemKind.NotOfType => Type switch
            {
                BrokerConfigType.Boolean => "is not a boolean (true or false)",
                BrokerConfigType.Long => "is not a long",
                BrokerConfigType.Int => "is not an int",
                BrokerConfigType.Short => "is not a short",
                _ => "is not a number",
            },
            ConfigProblemKind.BelowMinimum => $"is below the minimum {refused.Bound.ToString(CultureInfo.InvariantCulture)}",
            ConfigProblemKind.AboveMaximum => $"is above the maximum {refused.Bound.ToString(CultureInfo.InvariantCulture)}",
            _ when Type == BrokerConfigType.List => $"contains '{refused.Item}', expected a list of {string.Join(", ", ValidValues ?? [])}",
            _ => $"is not one of {string.Join(", ", ValidValues ?? [])}",
        };
        return false;
    }
}
