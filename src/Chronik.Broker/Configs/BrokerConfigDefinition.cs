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
        value = null;
        problem = "";
        string trimmed = text.Trim();
        switch (Type)
        {
            case BrokerConfigType.Boolean:
                if (bool.TryParse(trimmed, out bool b))
                {
                    value = b;
                    return true;
                }

                problem = "is not a boolean (true or false)";
                return false;

            case BrokerConfigType.Short:
            case BrokerConfigType.Int:
            case BrokerConfigType.Long:
                return TryParseInteger(trimmed, out value, out problem);

            case BrokerConfigType.Double:
                if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d))
                {
                    value = d;
                    return true;
                }

                problem = "is not a number";
                return false;

            case BrokerConfigType.List:
                var items = trimmed.Length == 0
                    ? []
                    : trimmed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                foreach (string item in items)
                {
                    if (ValidValues is not null && !ValidValues.Contains(item))
                    {
                        problem = $"contains '{item}', expected a list of {string.Join(", ", ValidValues)}";
                        return false;
                    }
                }

                value = items;
                return true;

            default:
                if (ValidValues is not null && !ValidValues.Contains(trimmed))
                {
                    problem = $"is not one of {string.Join(", ", ValidValues)}";
                    return false;
                }

                value = trimmed;
                return true;
        }
    }

    private bool TryParseInteger(string text, out object? value, out string problem)
    {
        value = null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
        {
            problem = $"is not {(Type == BrokerConfigType.Long ? "a long" : Type == BrokerConfigType.Int ? "an int" : "a short")}";
            return false;
        }

        long typeMin = Type switch { BrokerConfigType.Short => short.MinValue, BrokerConfigType.Int => int.MinValue, _ => long.MinValue };
        long typeMax = Type switch { BrokerConfigType.Short => short.MaxValue, BrokerConfigType.Int => int.MaxValue, _ => long.MaxValue };
        long min = Math.Max(Min ?? typeMin, typeMin);
        long max = Math.Min(Max ?? typeMax, typeMax);
        if (n < min)
        {
            problem = $"is below the minimum {min.ToString(CultureInfo.InvariantCulture)}";
            return false;
        }

        if (n > max)
        {
            problem = $"is above the maximum {max.ToString(CultureInfo.InvariantCulture)}";
            return false;
        }

        problem = "";
        value = Type switch { BrokerConfigType.Short => (short)n, BrokerConfigType.Int => (int)n, _ => (object)n };
        return true;
    }
}
