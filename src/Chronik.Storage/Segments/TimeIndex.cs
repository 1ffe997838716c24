using System.Buffers.Binary;

namespace Chronik.Storage.Segments;

/// <summary>A timestamp and the offset of the batch that carries it.</summary>
internal readonly record struct TimestampOffset(long Timestamp, long Offset);

/// <summary>
/// The .timeindex file: entries (int64 timestamp, int32 relative offset), as Kafka's TimeIndex. An entry is
/// added together with an offset index entry when the segment's max timestamp grew, pointing at the last
/// offset of the batch holding that max; timestamps in the index are strictly increasing. When a segment stops
/// being active a final entry records its max timestamp, so the last entry of a closed segment is its max.
/// </summary>
internal sealed class TimeIndex : SparseIndex
{
    public const int EntryBytes = 12;

    public TimeIndex(string path, long baseOffset, int maxIndexBytes)
        : base(path, baseOffset, EntryBytes, maxIndexBytes / EntryBytes)
    {
    }

    public TimestampOffset? LastEntry => Count == 0 ? null : At(Count - 1);

    /// <summary>Adds an entry if <paramref name="timestamp"/> is above the last one.</summary>
    public void MaybeAppend(long timestamp, long offset)
    {
        if (timestamp < 0 || (Count > 0 && timestamp <= ReadLong(Entry(Count - 1))))
        {
            return;
        }

        long relative = offset - BaseOffset;
        if (relative is < 0 or > int.MaxValue || (Count > 0 && relative < ReadInt(Entry(Count - 1)[8..])))
        {
            return;
        }

        var slot = AppendEntry();
        BinaryPrimitives.WriteInt64BigEndian(slot, timestamp);
        BinaryPrimitives.WriteInt32BigEndian(slot[8..], (int)relative);
    }

    /// <summary>The entry with the largest timestamp ≤ <paramref name="timestamp"/>, or (-1, base offset).</summary>
    public TimestampOffset Lookup(long timestamp)
    {
        int lo = 0;
        int hi = Count - 1;
        int found = -1;
        while (lo <= hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (ReadLong(Entry(mid)) <= timestamp)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? new TimestampOffset(-1, BaseOffset) : At(found);
    }

    /// <summary>Removes entries for offsets ≥ <paramref name="offset"/>.</summary>
    public void TruncateTo(long offset)
    {
        int keep = Count;
        while (keep > 0 && At(keep - 1).Offset >= offset)
        {
            keep--;
        }

        TruncateEntries(keep);
    }

    /// <summary>Parses a raw last entry read from the file.</summary>
    public TimestampOffset Parse(ReadOnlySpan<byte> entry) => new(ReadLong(entry), BaseOffset + ReadInt(entry[8..]));

    private TimestampOffset At(int index) => Parse(Entry(index));

    protected override bool IsSane(ReadOnlySpan<byte> entries, int count, long logSize)
    {
        long previousTimestamp = -1;
        int previousRelative = 0;
        for (int i = 0; i < count; i++)
        {
            var entry = entries.Slice(i * EntryBytes, EntryBytes);
            long timestamp = ReadLong(entry);
            int relative = ReadInt(entry[8..]);
            if (timestamp <= previousTimestamp || relative < previousRelative || relative < 0)
            {
                return false;
            }

            previousTimestamp = timestamp;
            previousRelative = relative;
        }

        return true;
    }
}
