using System.Globalization;

namespace Chronik.Broker.Configs;

/// <summary>Why a config value was refused, for the caller to word (broker startup and Kafka's admin errors word it differently).</summary>
internal enum ConfigProblemKind
{
    None,

    /// <summary>Not a value of the type (or outside the type's range, as Java's parseInt refuses it).</summary>
    NotOfType,

    BelowMinimum,

    AboveMaximum,

    /// <summary>A string, or a list element, outside the allowed values.</summary>
    NotAllowed,
}

/// <summary>
/// The refusal: its kind, the bound it broke or the element that is not allowed. An integer outside its
/// type's range breaks the tighter of the config's and the type's bound, with <paramref name="OutsideType"/>
/// set (Kafka words that "Not a number of type INT").
/// </summary>
internal readonly record struct ConfigProblem(ConfigProblemKind Kind, long Bound = 0, string? Item = null, bool OutsideType = false);

/// <summary>
/// Parses a config value by Kafka's ConfigDef rules: the text is trimmed, booleans are true/false in any
/// case, lists are comma-separated with blanks trimmed and empty elements dropped, numbers are checked
/// against inclusive bounds (doubles too, against the same integral bounds).
/// </summary>
internal static class ConfigValueParser
{
    /// <summary>
    /// The typed value: bool, short, int, long, double, string, or string[] for lists. False with the
    /// problem when <paramref name="text"/> is not acceptable.
    /// </summary>
    public static bool TryParse(BrokerConfigType type, long? min, long? max, IReadOnlyList<string>? validValues, string text, out object? value, out ConfigProblem problem)
    {
        value = null;
        problem = default;
        string trimmed = text.Trim();
        switch (type)
        {
            case BrokerConfigType.Boolean:
                if (bool.TryParse(trimmed, out bool b))
                {
                    value = b;
                    return true;
                }

                problem = new ConfigProblem(ConfigProblemKind.NotOfType);
                return false;

            case BrokerConfigType.Short:
            case BrokerConfigType.Int:
            case BrokerConfigType.Long:
                return TryParseInteger(type, min, max, trimmed, out value, out problem);

            case BrokerConfigType.Double:
                if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
                {
                    problem = new ConfigProblem(ConfigProblemKind.NotOfType);
                    return false;
                }

                if (min is { } dMin && d < dMin)
                {
                    problem = new ConfigProblem(ConfigProblemKind.BelowMinimum, dMin);
                    return false;
                }

                if (max is { } dMax && d > dMax)
                {
                    problem = new ConfigProblem(ConfigProblemKind.AboveMaximum, dMax);
                    return false;
                }

                value = d;
                return true;

            case BrokerConfigType.List:
                string[] items = SplitList(trimmed);
                foreach (string item in items)
                {
                    if (validValues is not null && !validValues.Contains(item))
                    {
                        problem = new ConfigProblem(ConfigProblemKind.NotAllowed, Item: item);
                        return false;
                    }
                }

                value = items;
                return true;

            default:
                if (validValues is not null && !validValues.Contains(trimmed))
                {
                    problem = new ConfigProblem(ConfigProblemKind.NotAllowed, Item: trimmed);
                    return false;
                }

                value = trimmed;
                return true;
        }
    }

    /// <summary>Kafka's list syntax: comma-separated, blanks around elements trimmed, empty elements dropped.</summary>
    public static string[] SplitList(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A typed value as Kafka prints it (ConfigDef.convertToString): lists comma-joined, booleans lower case, doubles as Java prints them.</summary>
    public static string Format(object value) => value switch
    {
        bool b => b ? "true" : "false",
        string[] list => string.Join(",", list),
        double d => FormatDouble(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string FormatDouble(double d)
    {
        // Java's Double.toString always shows a fraction ("1.0", "0.5").
        string text = d.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0";
    }

    private static bool TryParseInteger(BrokerConfigType type, long? min, long? max, string text, out object? value, out ConfigProblem problem)
    {
        value = null;
        long typeMin = type switch { BrokerConfigType.Short => short.MinValue, BrokerConfigType.Int => int.MinValue, _ => long.MinValue };
        long typeMax = type switch { BrokerConfigType.Short => short.MaxValue, BrokerConfigType.Int => int.MaxValue, _ => long.MaxValue };
        long lower = Math.Max(min ?? typeMin, typeMin);
        long upper = Math.Min(max ?? typeMax, typeMax);
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
        {
            problem = new ConfigProblem(ConfigProblemKind.NotOfType);
            return false;
        }

        if (n < lower)
        {
            problem = new ConfigProblem(ConfigProblemKind.BelowMinimum, lower, OutsideType: n < typeMin);
            return false;
        }

        if (n > upper)
        {
            problem = new ConfigProblem(ConfigProblemKind.AboveMaximum, upper, OutsideType: n > typeMax);
            return false;
        }

        problem = default;
        value = type switch { BrokerConfigType.Short => (short)n, BrokerConfigType.Int => (int)n, _ => (object)n };
        return true;
    }
}
