using System.Globalization;

namespace Chronik.Server.Metrics;

/// <summary>
/// The label set of one time series, built from a measurement's tags without allocating for up to three
/// string-valued tags (the hot-path case); tags are sorted by name so call sites may list them in any order.
/// </summary>
internal readonly struct SeriesKey : IEquatable<SeriesKey>
{
    private const int InlineTags = 3;

    private readonly string? _n0, _v0, _n1, _v1, _n2, _v2;

    // More than three tags: the whole set, sorted, as a list (rare; allocates).
    private readonly KeyValuePair<string, string>[]? _overflow;

    private SeriesKey(string? n0, string? v0, string? n1, string? v1, string? n2, string? v2, KeyValuePair<string, string>[]? overflow)
    {
        (_n0, _v0, _n1, _v1, _n2, _v2, _overflow) = (n0, v0, n1, v1, n2, v2, overflow);
    }

    public static SeriesKey From(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length > InlineTags)
        {
            var all = new KeyValuePair<string, string>[tags.Length];
            for (int i = 0; i < tags.Length; i++)
            {
                all[i] = new(tags[i].Key, Text(tags[i].Value));
            }

            Array.Sort(all, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return new SeriesKey(null, null, null, null, null, null, all);
        }

        string? n0 = null, v0 = null, n1 = null, v1 = null, n2 = null, v2 = null;
        if (tags.Length > 0)
        {
            (n0, v0) = (tags[0].Key, Text(tags[0].Value));
        }

        if (tags.Length > 1)
        {
            (n1, v1) = (tags[1].Key, Text(tags[1].Value));
            if (string.CompareOrdinal(n0, n1) > 0)
            {
                (n0, v0, n1, v1) = (n1, v1, n0, v0);
            }
        }

        if (tags.Length > 2)
        {
            (n2, v2) = (tags[2].Key, Text(tags[2].Value));
            if (string.CompareOrdinal(n1, n2) > 0)
            {
                (n1, v1, n2, v2) = (n2, v2, n1, v1);
                if (string.CompareOrdinal(n0, n1) > 0)
                {
                    (n0, v0, n1, v1) = (n1, v1, n0, v0);
                }
            }
        }

        return new SeriesKey(n0, v0, n1, v1, n2, v2, null);
    }

    /// <summary>The labels, sorted by name.</summary>
    public IEnumerable<KeyValuePair<string, string>> Labels
    {
        get
        {
            if (_overflow is not null)
            {
                return _overflow;
            }

            var labels = new List<KeyValuePair<string, string>>(InlineTags);
            if (_n0 is not null)
            {
                labels.Add(new(_n0, _v0!));
            }

            if (_n1 is not null)
            {
                labels.Add(new(_n1, _v1!));
            }

            if (_n2 is not null)
            {
                labels.Add(new(_n2, _v2!));
            }

            return labels;
        }
    }

    public bool Equals(SeriesKey other)
    {
        if (_overflow is not null || other._overflow is not null)
        {
            return _overflow is not null && other._overflow is not null && _overflow.AsSpan().SequenceEqual(other._overflow);
        }

        return _n0 == other._n0 && _v0 == other._v0 && _n1 == other._n1 && _v1 == other._v1 && _n2 == other._n2 && _v2 == other._v2;
    }

    public override bool Equals(object? obj) => obj is SeriesKey other && Equals(other);

    public override int GetHashCode()
    {
        if (_overflow is not null)
        {
            var hash = default(HashCode);
            foreach (var label in _overflow)
            {
                hash.Add(label.Key);
                hash.Add(label.Value);
            }

            return hash.ToHashCode();
        }

        return HashCode.Combine(_n0, _v0, _n1, _v1, _n2, _v2);
    }

    // Label values should be strings (no boxing on the hot path); anything else is formatted invariantly.
    private static string Text(object? value) => value switch
    {
        string s => s,
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
