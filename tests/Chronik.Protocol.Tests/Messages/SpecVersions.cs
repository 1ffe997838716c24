namespace Chronik.Protocol.Tests.Messages;

/// <summary>A version range in the specs' notation ("0+", "3-5", "7", "none"), as the generated attributes carry it.</summary>
internal readonly record struct SpecVersions(short Lowest, short Highest)
{
    public static SpecVersions Parse(string text)
    {
        if (text == "none")
        {
            return new SpecVersions(1, 0);
        }

        if (text.EndsWith('+'))
        {
            return new SpecVersions(short.Parse(text[..^1]), short.MaxValue);
        }

        int dash = text.IndexOf('-');
        return dash > 0
            ? new SpecVersions(short.Parse(text[..dash]), short.Parse(text[(dash + 1)..]))
            : new SpecVersions(short.Parse(text), short.Parse(text));
    }

    public bool Contains(short version) => version >= Lowest && version <= Highest;
}
