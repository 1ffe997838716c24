namespace Chronik.Cluster.Chaos.Checking;

/// <summary>A record as a consumer read it: where it is stored and its value bytes.</summary>
public sealed record LogRecord(int Partition, long Offset, byte[] Value);
