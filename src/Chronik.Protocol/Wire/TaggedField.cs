namespace Chronik.Protocol.Wire;

/// <summary>
/// A tagged field this code does not know (KIP-482), kept as its raw value bytes so that it is
/// written back unchanged. <paramref name="Data"/> is the value without the tag and size prefixes.
/// </summary>
public readonly record struct TaggedField(int Tag, byte[] Data);
