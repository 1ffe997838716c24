using System.Buffers.Binary;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Records;

/// <summary>Why a <see cref="RecordBatchEnumerator"/> stopped.</summary>
public enum RecordBatchEnumerationStatus
{
    /// <summary>Still enumerating.</summary>
    InProgress,

    /// <summary>Every byte of the buffer belonged to a complete batch.</summary>
    Completed,

    /// <summary>
    /// The buffer ends inside a batch (or inside the first 17 bytes of one). Normal at the end of a fetch
    /// response cut at max bytes; on the produce path the caller treats it as corrupt.
    /// </summary>
    IncompleteTrailingBatch,

    /// <summary>A batch's framing (magic, or its length) is impossible; see <see cref="RecordBatchEnumerator.Error"/>.</summary>
    Corrupt,
}

/// <summary>
/// Walks a buffer of concatenated log entries — record batches (magic 2) or legacy messages (magic 0/1),
/// which share the layout offset int64, length int32, …, magic int8 at byte 16 — yielding each entry's
/// exact slice, without reading CRCs or records (Kafka's ByteBufferLogInputStream). It stops cleanly at an
/// incomplete trailing entry and reports where the complete part ends (<see cref="BytesConsumed"/>).
/// Drive it with <c>while (e.MoveNext())</c> and read <see cref="Status"/> afterwards; it is a struct, so a
/// copy has its own position.
/// </summary>
public struct RecordBatchEnumerator
{
    /// <summary>Bytes of every entry up to and including the magic byte.</summary>
    public const int HeaderSizeUpToMagic = RecordBatchHeader.MagicOffset + 1;

    /// <summary>Smallest legal length field per magic: the fixed part after offset and length (Kafka's LegacyRecord/DefaultRecordBatch overheads).</summary>
    private static ReadOnlySpan<int> MinimumLengthByMagic => [LegacyMessage.HeaderSizeV0 - LegacyMessage.LogOverhead, LegacyMessage.HeaderSizeV1 - LegacyMessage.LogOverhead, RecordBatchHeader.Size - RecordBatchHeader.LogOverhead];

    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly int _maxBatchSize;
    private int _next;

    /// <param name="buffer">Concatenated entries.</param>
    /// <param name="maxBatchSize">Entries whose total size exceeds this are reported corrupt instead of
    /// waited for (Kafka applies max.message.bytes the same way).</param>
    public RecordBatchEnumerator(ReadOnlyMemory<byte> buffer, int maxBatchSize = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBatchSize);
        _buffer = buffer;
        _maxBatchSize = maxBatchSize;
        _next = 0;
        Current = default;
        CurrentPosition = -1;
        Status = RecordBatchEnumerationStatus.InProgress;
        Error = ErrorCode.None;
        ErrorMessage = null;
    }

    /// <summary>The current entry: exactly one batch or legacy message, from its offset field to its end.</summary>
    public ReadOnlyMemory<byte> Current { get; private set; }

    /// <summary>Where <see cref="Current"/> starts in the buffer.</summary>
    public int CurrentPosition { get; private set; }

    /// <summary>Magic of <see cref="Current"/>: 2 for a record batch, 0 or 1 for a legacy message.</summary>
    public readonly byte CurrentMagic => Current.Span[RecordBatchHeader.MagicOffset];

    /// <summary>Bytes covered by the complete entries enumerated so far; where an incomplete or corrupt tail begins.</summary>
    public readonly int BytesConsumed => _next;

    public RecordBatchEnumerationStatus Status { get; private set; }

    /// <summary><see cref="ErrorCode.CorruptMessage"/> when <see cref="Status"/> is Corrupt, else None.</summary>
    public ErrorCode Error { get; private set; }

    public string? ErrorMessage { get; private set; }

    public bool MoveNext()
    {
        if (Status != RecordBatchEnumerationStatus.InProgress)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = _buffer.Span[_next..];
        if (rest.IsEmpty)
        {
            return Stop(RecordBatchEnumerationStatus.Completed);
        }

        if (rest.Length < HeaderSizeUpToMagic)
        {
            return Stop(RecordBatchEnumerationStatus.IncompleteTrailingBatch);
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(rest[RecordBatchHeader.BatchLengthOffset..]);
        byte magic = rest[RecordBatchHeader.MagicOffset];
        if (magic > RecordBatchHeader.CurrentMagic)
        {
            return Corrupt($"Invalid magic {magic} at position {_next}.");
        }

        if (length < MinimumLengthByMagic[magic])
        {
            return Corrupt($"Entry length {length} at position {_next} is below the minimum {MinimumLengthByMagic[magic]} for magic {magic}.");
        }

        long totalSize = (long)length + RecordBatchHeader.LogOverhead;
        if (totalSize > _maxBatchSize)
        {
            return Corrupt($"Entry size {totalSize} at position {_next} exceeds the largest allowed {_maxBatchSize}.");
        }

        if (totalSize > rest.Length)
        {
            return Stop(RecordBatchEnumerationStatus.IncompleteTrailingBatch);
        }

        CurrentPosition = _next;
        Current = _buffer.Slice(_next, (int)totalSize);
        _next += (int)totalSize;
        return true;
    }

    private bool Stop(RecordBatchEnumerationStatus status)
    {
        Status = status;
        Current = default;
        return false;
    }

    private bool Corrupt(string message)
    {
        Error = ErrorCode.CorruptMessage;
        ErrorMessage = message;
        return Stop(RecordBatchEnumerationStatus.Corrupt);
    }
}
