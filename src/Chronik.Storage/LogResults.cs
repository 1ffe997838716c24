using System.Buffers;
using Chronik.Protocol.Wire;
using Chronik.Storage.Segments;

namespace Chronik.Storage;

/// <summary>
/// What an append did. Offsets are final once <see cref="PartitionLog.Append"/> returns (the order of appends is
/// fixed then); durability is awaited separately with <see cref="PartitionLog.WaitForDurabilityAsync"/>.
/// </summary>
/// <param name="FirstOffset">Offset assigned to the first record.</param>
/// <param name="LastOffset">Offset of the last record (the base offset of the last batch plus its last offset delta).</param>
/// <param name="LogAppendTime">The broker time stamped into the batches with LogAppendTime, else -1.</param>
/// <param name="MaxTimestamp">The largest batch max timestamp appended (-1 when none).</param>
/// <param name="LogStartOffset">The log start offset at the time of the append (ProduceResponse reports it).</param>
/// <param name="BatchCount">Batches appended.</param>
/// <param name="RecordCount">Records appended, as the batches declare them.</param>
/// <param name="Bytes">Bytes appended.</param>
/// <param name="IsDuplicate">
/// True when an idempotent producer's batch retried one the log already has: nothing was appended, the offsets are
/// the original batch's and <paramref name="LogAppendTime"/> is its timestamp (Kafka answers a duplicate so).
/// </param>
public readonly record struct AppendResult(long FirstOffset, long LastOffset, long LogAppendTime, long MaxTimestamp, long LogStartOffset, int BatchCount, int RecordCount, int Bytes, bool IsDuplicate = false);

/// <summary>A timestamp and the offset carrying it, for ListOffsets; <see cref="LeaderEpoch"/> is -1 when unknown.</summary>
public readonly record struct TimestampAndOffset(long Timestamp, long Offset, int LeaderEpoch);

/// <summary>
/// The result of <see cref="PartitionLog.Read"/>: whole record batches, exactly as stored, described as one byte
/// range of one segment file (<see cref="FilePath"/>, <see cref="FilePosition"/>, <see cref="Length"/>), never
/// decoded. <see cref="CopyTo(Span{byte})"/> copies them out; the range stays readable for
/// file.delete.delay.ms even if retention or compaction removes the segment meanwhile.
/// <see cref="Error"/> is OffsetOutOfRange when the start offset lies outside [log start, log end].
/// </summary>
public readonly struct LogReadResult
{
    private readonly LogSegment? _segment;

    internal LogReadResult(ErrorCode error, LogSegment? segment, long position, int length, long firstOffset, long logStartOffset, long logEndOffset, long highWatermark)
    {
        Error = error;
        _segment = segment;
        FilePosition = position;
        Length = length;
        FirstOffset = firstOffset;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
        HighWatermark = highWatermark;
    }

    /// <summary>None, or OffsetOutOfRange.</summary>
    public ErrorCode Error { get; }

    /// <summary>Bytes of whole batches; 0 when nothing is available within the limits.</summary>
    public int Length { get; }

    public bool IsEmpty => Length == 0;

    /// <summary>Base offset of the first batch returned, or -1.</summary>
    public long FirstOffset { get; }

    /// <summary>The segment file the batches are in (null when empty).</summary>
    public string? FilePath => Length == 0 ? null : _segment?.File.Path;

    /// <summary>Where the batches start in <see cref="FilePath"/>.</summary>
    public long FilePosition { get; }

    /// <summary>Log start offset when the read ran (Fetch responses carry it).</summary>
    public long LogStartOffset { get; }

    /// <summary>Log end offset when the read ran.</summary>
    public long LogEndOffset { get; }

    /// <summary>High watermark when the read ran.</summary>
    public long HighWatermark { get; }

    /// <summary>Copies the batches into <paramref name="destination"/>, which must hold <see cref="Length"/> bytes.</summary>
    public void CopyTo(Span<byte> destination)
    {
        if (Length == 0)
        {
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Length);
        _segment!.CopyTo(FilePosition, destination[..Length]);
    }

    /// <summary>Copies the batches into <paramref name="writer"/>.</summary>
    public void CopyTo(IBufferWriter<byte> writer)
    {
        if (Length == 0)
        {
            return;
        }

        var span = writer.GetSpan(Length);
        _segment!.CopyTo(FilePosition, span[..Length]);
        writer.Advance(Length);
    }

    /// <summary>The batches as a new array (tests and tools; the fetch path copies into its own buffers).</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }
}
