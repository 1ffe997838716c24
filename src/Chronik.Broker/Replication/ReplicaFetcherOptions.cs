namespace Chronik.Broker.Replication;

/// <summary>How followers fetch (Kafka's replica.fetch.* broker configs and their defaults).</summary>
public sealed record ReplicaFetcherOptions
{
    /// <summary>replica.fetch.wait.max.ms: how long the leader may hold a fetch that found nothing new.</summary>
    public int MaxWaitMs { get; init; } = 500;

    /// <summary>replica.fetch.min.bytes.</summary>
    public int MinBytes { get; init; } = 1;

    /// <summary>replica.fetch.max.bytes: bytes per partition per fetch (the first batch always comes, KIP-74).</summary>
    public int PartitionMaxBytes { get; init; } = 1_048_576;

    /// <summary>replica.fetch.response.max.bytes: bytes per fetch response.</summary>
    public int ResponseMaxBytes { get; init; } = 10_485_760;

    /// <summary>replica.fetch.backoff.ms: the pause after an error, per partition or for the whole fetcher.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>replica.socket.timeout.ms: a request without an answer this long fails the connection.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between AlterPartition attempts the controller did not take (NOT_CONTROLLER, no answer, ...).</summary>
    public TimeSpan AlterPartitionRetryBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
}
