namespace Chronik.Protocol.Messages;

/// <summary>
/// Marks a generated message class with its spec's valid and flexible versions, in the specs'
/// notation ("0-11", "9+", "none"). Lets tests and tools walk every message without the JSON.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class KafkaMessageAttribute(string validVersions, string flexibleVersions) : Attribute
{
    public string ValidVersions { get; } = validVersions;

    public string FlexibleVersions { get; } = flexibleVersions;
}

/// <summary>
/// Marks a generated property with the versions its spec field is on the wire in, nullable in and
/// tagged in (specs' notation), its tag (-1 when untagged) and whether it is ignorable.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class KafkaFieldAttribute(string versions) : Attribute
{
    public string Versions { get; } = versions;

    public string NullableVersions { get; set; } = "none";

    public string TaggedVersions { get; set; } = "none";

    public int Tag { get; set; } = -1;

    public bool Ignorable { get; set; }
}
