using System.Buffers;
using Chronik.Protocol.Records;
using Chronik.Storage.Records;
using Microsoft.Win32.SafeHandles;

namespace Chronik.Storage.Segments;

/// <summary>The header fields of a stored batch the log needs, and where the batch sits in its file.</summary>
internal readonly record struct BatchInfo(
    long Position,
    int Size,
    long BaseOffset,
    long LastOffset,
    long MaxTimestamp,
    int PartitionLeaderEpoch,
    RecordBatchAttributes Attributes,
    long ProducerId,
    short ProducerEpoch,
    int BaseSequence,
    int RecordCount)
{
    public long End => Position + Size;

    public bool IsControl => (Attributes & RecordBatchAttributes.Control) != 0;

    public bool IsTransactional => (Attributes & RecordBatchAttributes.Transactional) != 0;

    public static BatchInfo Parse(ReadOnlySpan<byte> header, long position, int size) => new(
        position,
        size,
        RecordBatchHeader.BaseOffset(header),
        RecordBatchHeader.LastOffset(header),
        RecordBatchHeader.MaxTimestamp(header),
        RecordBatchHeader.PartitionLeaderEpoch(header),
        RecordBatchHeader.Attributes(header),
        RecordBatchHeader.ProducerId(header),
        RecordBatchHeader.ProducerEpoch(header),
        RecordBatchHeader.BaseSequence(header),
        RecordBatchHeader.RecordCount(header));
}

/// <summary>
/// Reads batch headers and whole batches of one segment file through a pooled window buffer, so walking
/// consecutive small batches costs one pread per window rather than one per batch. Positions at or beyond
/// <see cref="Limit"/> (the committed size of the segment) are never read.
/// </summary>
internal sealed class SegmentReader : IDisposable
{
    private const int DefaultWindow = 16 * 1024;
    private const int CrcChunk = 256 * 1024;

    private readonly SafeFileHandle _handle;
    private byte[] _buffer;
    private long _windowStart;
    private int _windowLength;

    public SegmentReader(SafeFileHandle handle, long limit, int windowBytes = DefaultWindow)
    {
        _handle = handle;
        Limit = limit;
        _buffer = ArrayPool<byte>.Shared.Rent(windowBytes);
    }

    /// <summary>Bytes of the file that may be read.</summary>
    public long Limit { get; }

    /// <summary>
    /// Reads the header at <paramref name="position"/>. False at the end of the data, or when the header is
    /// impossible (a stored batch is trusted, but garbage must end a walk rather than loop or overrun).
    /// </summary>
    public bool TryReadHeader(long position, out BatchInfo info)
    {
        info = default;
        if (position + RecordBatchHeader.Size > Limit || !EnsureWindow(position, RecordBatchHeader.Size))
        {
            return false;
        }

        var header = Window(position, RecordBatchHeader.Size);
        int batchLength = RecordBatchHeader.BatchLength(header);
        long size = (long)batchLength + RecordBatchHeader.LogOverhead;
        if (batchLength < BatchValidator.MinBatchLength || position + size > Limit)
        {
            return false;
        }

        info = BatchInfo.Parse(header, position, (int)size);
        return info.LastOffset >= info.BaseOffset;
    }

    /// <summary>
    /// Checks the batch at <paramref name="position"/> as recovery does: a sane header (see
    /// <see cref="BatchValidator.CheckStoredHeader"/>) and a matching CRC, streamed so a huge length never
    /// causes a huge allocation.
    /// </summary>
    public StoredBatchStatus Validate(long position, long minBaseOffset, long segmentBaseOffset, out BatchInfo info)
    {
        info = default;
        long available = Limit - position;
        int headerBytes = (int)Math.Min(available, RecordBatchHeader.Size);
        if (headerBytes <= 0 || !EnsureWindow(position, headerBytes))
        {
            return StoredBatchStatus.Truncated;
        }

        var header = Window(position, headerBytes);
        var status = BatchValidator.CheckStoredHeader(header, available, minBaseOffset, segmentBaseOffset, out int size);
        if (status != StoredBatchStatus.Valid)
        {
            return status;
        }

        info = BatchInfo.Parse(header, position, size);
        uint expected = RecordBatchHeader.Crc(header);
        uint state = 0xFFFFFFFFu;
        long from = position + RecordBatchHeader.CrcCoveredFrom;
        long end = position + size;
        while (from < end)
        {
            int chunk = (int)Math.Min(end - from, CrcChunk);
            if (!EnsureWindow(from, chunk))
            {
                return StoredBatchStatus.Truncated;
            }

            state = Crc32C.Append(state, Window(from, chunk));
            from += chunk;
        }

        return ~state == expected ? StoredBatchStatus.Valid : StoredBatchStatus.Corrupt;
    }

    /// <summary>The whole batch <paramref name="info"/> describes; valid until the next call.</summary>
    public ReadOnlySpan<byte> ReadBatch(in BatchInfo info)
    {
        if (!EnsureWindow(info.Position, info.Size))
        {
            throw new IOException($"segment file ended inside the batch at position {info.Position}");
        }

        return Window(info.Position, info.Size);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private ReadOnlySpan<byte> Window(long position, int count) => _buffer.AsSpan((int)(position - _windowStart), count);

    private bool EnsureWindow(long position, int count)
    {
        if (position >= _windowStart && position + count <= _windowStart + _windowLength)
        {
            return true;
        }

        if (count > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(count);
        }

        int want = (int)Math.Min(_buffer.Length, Limit - position);
        if (want < count)
        {
            return false;
        }

        int read = 0;
        while (read < want)
        {
            int n = RandomAccess.Read(_handle, _buffer.AsSpan(read, want - read), position + read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        _windowStart = position;
        _windowLength = read;
        return read >= count;
    }
}
