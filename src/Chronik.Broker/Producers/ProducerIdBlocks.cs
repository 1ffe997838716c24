namespace Chronik.Broker.Producers;

/// <summary>
/// The producer id blocks a broker hands ids out of (the decisions of Kafka's RPCProducerIdManager, without I/O):
/// ids come from the current block in order; once 90% of it is used the next block should be requested, and when
/// the current block runs out the next one, if it arrived, takes its place. A block from the controller is accepted
/// only if it lies after the current one (blocks are committed through the metadata quorum, so ids never repeat
/// across the cluster; a stale or overlapping answer is refused). Not thread-safe: the owner serializes calls.
/// </summary>
public sealed class ProducerIdBlocks
{
    /// <summary>Kafka's PID_PREFETCH_THRESHOLD: the share of a block used before the next one is requested.</summary>
    public const double PrefetchThreshold = 0.90;

    private long _next;
    private long _end;
    private long _prefetchAt;
    private (long First, int Size)? _pending;

    /// <summary>True when the next block should be requested: none is waiting and the current one is (nearly) used up.</summary>
    public bool NeedsNextBlock => _pending is null && _next >= _prefetchAt;

    /// <summary>Ids left in the current block.</summary>
    public long Remaining => _end - _next;

    /// <summary>Takes the next id: from the current block, or from the waiting block when the current one ran out.</summary>
    public bool TryClaim(out long producerId)
    {
        if (_next >= _end && _pending is { } block)
        {
            _pending = null;
            _next = block.First;
            _end = block.First + block.Size;
            _prefetchAt = block.First + (long)(block.Size * PrefetchThreshold);
        }

        if (_next < _end)
        {
            producerId = _next++;
            return true;
        }

        producerId = -1;
        return false;
    }

    /// <summary>
    /// A block from the controller (first id, size). False when it is not usable: empty, negative, overflowing, not
    /// after the ids already handed out, or when a block is already waiting.
    /// </summary>
    public bool Offer(long firstId, int size)
    {
        long lastHandedOut = _pending is { } waiting ? waiting.First + waiting.Size : _end;
        if (_pending is not null || size <= 0 || firstId < 0 || firstId > long.MaxValue - size || firstId < lastHandedOut)
        {
            return false;
        }

        _pending = (firstId, size);
        return true;
    }
}
