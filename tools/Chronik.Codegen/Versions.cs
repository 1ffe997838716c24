using System.Globalization;

namespace Chronik.Codegen;

/// <summary>
/// An inclusive range of message versions as the specs write them: "0+", "3-5", "7" or "none".
/// "N+" is open-ended (up to short.MaxValue). An empty range has Lowest greater than Highest.
/// </summary>
public readonly record struct Versions(short Lowest, short Highest)
{
    public static readonly Versions None = new(1, 0);

    public bool IsEmpty => Lowest > Highest;

    public bool IsOpenEnded => !IsEmpty && Highest == short.MaxValue;

    public static Versions Parse(string? text, Versions ifMissing)
    {
        if (text is null)
        {
            return ifMissing;
        }

        text = text.Trim();
        if (text == "none")
        {
            return None;
        }

        if (text.EndsWith('+'))
        {
            return new Versions(ParseShort(text[..^1]), short.MaxValue);
        }

        int dash = text.IndexOf('-');
        if (dash > 0)
        {
            return new Versions(ParseShort(text[..dash]), ParseShort(text[(dash + 1)..]));
        }

        short single = ParseShort(text);
        return new Versions(single, single);
    }

    public Versions Intersect(Versions other)
    {
        if (IsEmpty || other.IsEmpty)
        {
            return None;
        }

        var result = new Versions(Math.Max(Lowest, other.Lowest), Math.Min(Highest, other.Highest));
        return result.IsEmpty ? None : result;
    }

    /// <summary>This range minus <paramref name="other"/>, which must not split it in two.</summary>
    public Versions Subtract(Versions other)
    {
        Versions overlap = Intersect(other);
        if (overlap.IsEmpty)
        {
            return this;
        }

        if (overlap == this)
        {
            return None;
        }

        if (overlap.Lowest == Lowest)
        {
            return new Versions((short)(overlap.Highest + 1), Highest);
        }

        if (overlap.Highest == Highest)
        {
            return new Versions(Lowest, (short)(overlap.Lowest - 1));
        }

        throw new InvalidOperationException($"subtracting {other} from {this} leaves two ranges");
    }

    public bool Contains(short version) => version >= Lowest && version <= Highest;

    public bool Contains(Versions other) => other.IsEmpty || (Contains(other.Lowest) && Contains(other.Highest));

    public override string ToString() =>
        IsEmpty ? "none" : Highest == short.MaxValue ? $"{Lowest}+" : Lowest == Highest ? $"{Lowest}" : $"{Lowest}-{Highest}";

    private static short ParseShort(string text) => short.Parse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
}
