using System.Buffers.Binary;
using System.Globalization;
using Chronik.Protocol.Records;
using Chronik.Storage.Files;
using Chronik.Storage.Segments;

namespace Chronik.Storage.Producers;

/// <summary>
/// A producer-state snapshot, &lt;offset&gt;.snapshot in the partition directory: the state of every producer after
/// all batches below the offset. Kafka's format, version 1, big-endian:
/// <code>
/// int16 version (1) | uint32 CRC32C of everything after it | int32 entry count | entries:
///   int64 producer id | int16 epoch | int32 last sequence | int64 last offset | int32 offset delta |
///   int64 timestamp | int32 coordinator epoch | int64 current transaction first offset (-1: none)
/// </code>
/// Kafka writes one entry per producer (its last batch). Chronik writes one entry per retained batch, oldest
/// first (up to five per producer), so a retry of any of the last five batches is still recognised after a
/// restart; a Kafka reader of the same file keeps the last entry per producer, which is Kafka's own content.
/// A producer without batches (its last entry was a marker) has one entry with last offset -1.
/// </summary>
internal static class ProducerSnapshotFile
{
    public const string Suffix = ".snapshot";
    public const short Version = 1;
    private const int HeaderSize = 2 + 4 + 4;
    private const int EntrySize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
    private const int CrcFrom = 6;

    public static string PathFor(string directory, long offset) => Path.Combine(directory, SegmentFiles.FileName(offset, Suffix));

    /// <summary>The offset of a snapshot file name, or false for any other file.</summary>
    public static bool TryParseOffset(string fileName, out long offset)
    {
        offset = 0;
        return fileName.Length == 20 + Suffix.Length
            && fileName.EndsWith(Suffix, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
    }

    /// <summary>The snapshot offsets in <paramref name="fileNames"/>, ascending.</summary>
    public static List<long> Offsets(IEnumerable<string> fileNames)
    {
        var offsets = new List<long>();
        foreach (string name in fileNames)
        {
            if (TryParseOffset(name, out long offset))
            {
                offsets.Add(offset);
            }
        }

        offsets.Sort();
        return offsets;
    }

    /// <summary>
    /// Writes the snapshot through a temporary file renamed into place. With <paramref name="sync"/> the file is
    /// fsynced first; without, a crash may leave it torn or empty, which <see cref="TryRead"/> detects (recovery
    /// then uses an older snapshot and replays more of the log).
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<long, ProducerState>> producers, bool sync)
    {
        int entries = 0;
        foreach (var (_, state) in producers)
        {
            entries += Math.Max(1, state.BatchCount);
        }

        byte[] buffer = new byte[HeaderSize + (entries * EntrySize)];
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteInt16BigEndian(span, Version);
        BinaryPrimitives.WriteInt32BigEndian(span[CrcFrom..], entries);
        int position = HeaderSize;
        foreach (var (producerId, state) in producers)
        {
            if (state.IsEmpty)
            {
                WriteEntry(span[position..], producerId, state, Sequences.None, -1, 0, state.LastTimestamp);
                position += EntrySize;
                continue;
            }

            for (int i = 0; i < state.BatchCount; i++)
            {
                var batch = state.Batch(i);
                bool last = i == state.BatchCount - 1;
                WriteEntry(span[position..], producerId, state, batch.LastSequence, batch.LastOffset, batch.OffsetDelta, last ? state.LastTimestamp : batch.Timestamp);
                position += EntrySize;
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[2..], Crc32C.Compute(span[CrcFrom..]));
        string temp = path + SegmentFiles.TempSuffix;
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, buffer, 0);
            if (sync)
            {
                FileSync.DataSync(handle);
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Reads a snapshot into <paramref name="load"/> (producer id, state), or returns false when the file is missing,
    /// has another version, a bad CRC or a size that does not match its entry count; nothing is loaded then.
    /// Producers for which <paramref name="keep"/> is false (expired) are skipped.
    /// </summary>
    public static bool TryRead(string path, Func<ProducerState, bool> keep, Action<long, ProducerState> load)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        var span = bytes.AsSpan();
        if (span.Length < HeaderSize
            || BinaryPrimitives.ReadInt16BigEndian(span) != Version
            || BinaryPrimitives.ReadUInt32BigEndian(span[2..]) != Crc32C.Compute(span[CrcFrom..]))
        {
            return false;
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(span[CrcFrom..]);
        if (count < 0 || (long)count * EntrySize != span.Length - HeaderSize)
        {
            return false;
        }

        long currentId = 0;
        var current = ProducerState.Empty;
        bool any = false;
        for (int i = 0; i < count; i++)
        {
            var entry = span.Slice(HeaderSize + (i * EntrySize), EntrySize);
            long producerId = BinaryPrimitives.ReadInt64BigEndian(entry);
            if (!any || producerId != currentId)
            {
                if (any && keep(current))
                {
                    load(currentId, current);
                }

                any = true;
                currentId = producerId;
                current = ProducerState.Empty;
            }

            ReadEntry(entry, ref current);
        }

        if (any && keep(current))
        {
            load(currentId, current);
        }

        return true;
    }

    private static void WriteEntry(Span<byte> entry, long producerId, in ProducerState state, int lastSequence, long lastOffset, int offsetDelta, long timestamp)
    {
        BinaryPrimitives.WriteInt64BigEndian(entry, producerId);
        BinaryPrimitives.WriteInt16BigEndian(entry[8..], state.Epoch);
        BinaryPrimitives.WriteInt32BigEndian(entry[10..], lastSequence);
        BinaryPrimitives.WriteInt64BigEndian(entry[14..], lastOffset);
        BinaryPrimitives.WriteInt32BigEndian(entry[22..], offsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(entry[26..], timestamp);
        BinaryPrimitives.WriteInt32BigEndian(entry[34..], state.CoordinatorEpoch);
        BinaryPrimitives.WriteInt64BigEndian(entry[38..], state.CurrentTxnFirstOffset);
    }

    private static void ReadEntry(ReadOnlySpan<byte> entry, ref ProducerState state)
    {
        state.Epoch = BinaryPrimitives.ReadInt16BigEndian(entry[8..]);
        int lastSequence = BinaryPrimitives.ReadInt32BigEndian(entry[10..]);
        long lastOffset = BinaryPrimitives.ReadInt64BigEndian(entry[14..]);
        int offsetDelta = BinaryPrimitives.ReadInt32BigEndian(entry[22..]);
        long timestamp = BinaryPrimitives.ReadInt64BigEndian(entry[26..]);
        state.CoordinatorEpoch = BinaryPrimitives.ReadInt32BigEndian(entry[34..]);
        long txnFirstOffset = BinaryPrimitives.ReadInt64BigEndian(entry[38..]);
        state.CurrentTxnFirstOffset = txnFirstOffset >= 0 ? txnFirstOffset : -1;
        state.LastTimestamp = timestamp;
        if (lastOffset >= 0)
        {
            state.AddBatchMetadata(new BatchMetadata(lastSequence, lastOffset, offsetDelta, timestamp));
        }
    }
}
