namespace Chronik.Broker.Groups.Runtime;

/// <summary>
/// The narrow view of one __consumer_offsets partition the coordinator needs: append record batches and
/// await their durability (later: their replication), read batches back, and know the offsets. The
/// coordinator only writes through it while this node leads the partition.
/// </summary>
public interface ICoordinatorLog
{
    /// <summary>The first offset that may be read.</summary>
    long LogStartOffset { get; }

    /// <summary>The offset the next appended record gets.</summary>
    long LogEndOffset { get; }

    /// <summary>
    /// Phase one of a write: appends v2 record batches (offsets assigned by the log, stamped with
    /// <paramref name="leaderEpoch"/>); the order is fixed when this returns. Returns the offset of the
    /// last record appended. Throws when the log cannot take the batches.
    /// </summary>
    long Append(ReadOnlyMemory<byte> batches, int leaderEpoch);

    /// <summary>Phase two: completes when every record up to <paramref name="offset"/> is durable; faults when it cannot become so.</summary>
    ValueTask WaitForDurabilityAsync(long offset, CancellationToken cancellationToken);

    /// <summary>Whole batches starting with the one holding <paramref name="offset"/> (empty at the end of the log).</summary>
    ReadOnlyMemory<byte> Read(long offset, int maxBytes);

    /// <summary>
    /// Completes with the offset up to which the log holds committed records, to be replayed when the coordinator loads:
    /// in a cluster a new leader's high watermark may lag behind records that are committed, so this waits until it
    /// reached the log end (at least the start of the leader's epoch). Faults when this node stops leading the partition.
    /// </summary>
    ValueTask<long> WaitForCommittedEndAsync(CancellationToken cancellationToken);
}

/// <summary>Opens the local log of a __consumer_offsets partition this node leads.</summary>
public interface ICoordinatorLogProvider
{
    /// <summary>The log of <paramref name="partition"/>, or null when this node has no replica of it.</summary>
    ICoordinatorLog? GetLog(int partition);
}
