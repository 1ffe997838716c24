namespace Chronik.Storage;

/// <summary>Who writes a batch; it decides which checks apply (as Kafka's AppendOrigin).</summary>
public enum AppendOrigin
{
    /// <summary>A producer: full validation, no control batches, offsets and leader epoch assigned by the log.</summary>
    Client,

    /// <summary>
    /// A coordinator of this broker (group or transaction coordinator writing offsets, group metadata or
    /// transaction markers): control batches allowed, offsets assigned by the log.
    /// </summary>
    Coordinator,

    /// <summary>
    /// A follower copying the leader's batches (and recovery rebuilding producer state from the log): producer
    /// state follows the batches without checks, offsets and epochs are the leader's.
    /// </summary>
    Replication,
}
