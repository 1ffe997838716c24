using System.Globalization;

namespace Chronik.Bench.Cli;

/// <summary>A bad command line; the message names the problem (exit code 2).</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// "--name value" and "--flag" options after a command word. Every option must be consumed by the
/// command, so a typo is an error rather than silently ignored.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Arguments(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string name = list[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length == 2)
            {
                throw new UsageException($"unexpected argument '{name}'");
            }

            string? value = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal) ? list[++i] : null;
            if (!_options.TryAdd(name, value))
            {
                throw new UsageException($"{name} given twice");
            }
        }
    }

    public bool Flag(string name)
    {
        _used.Add(name);
        if (!_options.TryGetValue(name, out string? value))
        {
            return false;
        }

        return value is null ? true : throw new UsageException($"{name} takes no value");
    }

    public string? String(string name)
    {
        _used.Add(name);
        if (!_options.TryGetValue(name, out string? value))
        {
            return null;
        }

        return value ?? throw new UsageException($"{name} needs a value");
    }

    public string Required(string name) => String(name) ?? throw new UsageException($"{name} is required");

    public int Int(string name, int fallback, int min, int max)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name} must be an integer from {min} to {max}, not '{text}'");
    }

    public double Double(string name, double fallback, double min, double max)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name} must be a number from {min} to {max}, not '{text}'");
    }

    public TimeSpan Seconds(string name, TimeSpan fallback, double max) =>
        TimeSpan.FromSeconds(Double(name, fallback.TotalSeconds, 0.1, max));

    /// <summary>Throws if an option was given that no one asked for.</summary>
    public void EnsureAllUsed()
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option{(unknown.Count > 1 ? "s" : string.Empty)}: {string.Join(", ", unknown)}");
        }
    }
}
