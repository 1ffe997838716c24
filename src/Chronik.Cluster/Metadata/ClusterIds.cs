namespace Chronik.Cluster.Metadata;

/// <summary>Kafka-style cluster ids: a random UUID as 22 characters of URL-safe base64 without padding (Kafka's Uuid.toString).</summary>
public static class ClusterIds
{
    public static string New() => FromGuid(Guid.NewGuid());

    public static string FromGuid(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
