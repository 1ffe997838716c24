namespace Chronik.Cluster.Metadata;

/// <summary>Bytes that are not a valid metadata record, entry or snapshot (truncated, corrupt, or from a newer version).</summary>
public sealed class MetadataFormatException(string message) : Exception(message);
