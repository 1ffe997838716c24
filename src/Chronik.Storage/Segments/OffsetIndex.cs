using System.Buffers.Binary;

namespace Chronik.Storage.Segments;

/// <summary>An offset and the file position of the batch to start scanning from.</summary>
internal readonly record struct OffsetPosition(long Offset, int Position);

/// <summary>
/// The .index file: entries (int32 offset relative to the segment's base offset, int32 file position), as
/// Kafka's OffsetIndex. An entry maps the last offset of a batch to the position where that batch starts; one
/// is added every index.interval.bytes of log. A lookup returns the largest entry with offset ≤ target, from
/// where a scan of batch headers finds the target.
/// </summary>
internal sealed class OffsetIndex : SparseIndex
{
    public const int EntryBytes = 8;

    public OffsetIndex(string path, long baseOffset, int maxIndexBytes)
        : base(path, baseOffset, EntryBytes, maxIndexBytes / EntryBytes)
    {
    }

    public OffsetPosition? LastEntry => Count == 0 ? null : At(Count - 1);

    public void Append(long offset, int position)
    {
        long relative = offset - BaseOffset;
        if (relative is < 0 or > int.MaxValue || (Count > 0 && relative <= ReadInt(Entry(Count - 1))))
        {
            throw new InvalidOperationException($"index entry {offset} is not above the last entry of segment {BaseOffset}");
        }

        var slot = AppendEntry();
        BinaryPrimitives.WriteInt32BigEndian(slot, (int)relative);
        BinaryPrimitives.WriteInt32BigEndian(slot[4..], position);
    }

    /// <summary>The largest entry with offset ≤ <paramref name="targetOffset"/>, or (base offset, 0).</summary>
    public OffsetPosition Lookup(long targetOffset)
    {
        long relative = targetOffset - BaseOffset;
        int lo = 0;
        int hi = Count - 1;
        int found = -1;
        while (lo <= hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (ReadInt(Entry(mid)) <= relative)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? new OffsetPosition(BaseOffset, 0) : At(found);
    }

    /// <summary>The largest entry with position ≤ <paramref name="position"/>, or (base offset, 0).</summary>
    public OffsetPosition LookupByPosition(long position)
    {
        int lo = 0;
        int hi = Count - 1;
        int found = -1;
        while (lo <= hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (ReadInt(Entry(mid)[4..]) <= position)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? new OffsetPosition(BaseOffset, 0) : At(found);
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

    /// <summary>Removes entries pointing at or beyond <paramref name="position"/>.</summary>
    public void TruncateToPosition(long position)
    {
        int keep = Count;
        while (keep > 0 && At(keep - 1).Position >= position)
        {
            keep--;
        }

        TruncateEntries(keep);
    }

    /// <summary>Parses a raw last entry read from the file.</summary>
    public OffsetPosition Parse(ReadOnlySpan<byte> entry) => new(BaseOffset + ReadInt(entry), ReadInt(entry[4..]));

    private OffsetPosition At(int index) => Parse(Entry(index));

    protected override bool IsSane(ReadOnlySpan<byte> entries, int count, long logSize)
    {
        int previousRelative = -1;
        int previousPosition = -1;
        for (int i = 0; i < count; i++)
        {
            var entry = entries.Slice(i * EntryBytes, EntryBytes);
            int relative = ReadInt(entry);
            int position = ReadInt(entry[4..]);
            if (relative <= previousRelative || position < previousPosition || position < 0 || position >= logSize)
            {
                return false;
            }

            previousRelative = relative;
            previousPosition = position;
        }

        return true;
    }
}
