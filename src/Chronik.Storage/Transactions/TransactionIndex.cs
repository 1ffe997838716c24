using System.Buffers.Binary;
using Chronik.Storage.Files;
using Microsoft.Win32.SafeHandles;

namespace Chronik.Storage.Transactions;

/// <summary>
/// Kafka's TransactionIndex: the aborted transactions whose ABORT marker lies in one segment, in marker order, in
/// the segment's <c>.txnindex</c> file — fixed 34-byte entries (int16 version 0, int64 producer id, first offset,
/// last offset, last stable offset), big-endian, as Kafka writes them. Appends come from the owning log under its
/// lock; fetches read concurrently from an immutable snapshot of the entries, loaded from the file on first use.
/// A torn last entry (a crash mid-append) is dropped when the file is loaded.
/// </summary>
internal sealed class TransactionIndex
{
    public const int EntrySize = 34;
    public const short EntryVersion = 0;

    private readonly object _lock = new();
    private AbortedTransaction[]? _entries;
    private bool _dirty;

    public TransactionIndex(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>The entries, in marker order (loads the file on first use).</summary>
    public AbortedTransaction[] Entries => Volatile.Read(ref _entries) ?? Load();

    public bool IsEmpty => Entries.Length == 0;

    /// <summary>Appends an entry; markers come in offset order, so its last offset is at least the previous entry's.</summary>
    public void Append(AbortedTransaction transaction)
    {
        lock (_lock)
        {
            AbortedTransaction[] entries = Entries;
            if (entries.Length > 0 && transaction.LastOffset < entries[^1].LastOffset)
            {
                throw new InvalidOperationException($"aborted transaction ending at {transaction.LastOffset} appended after one ending at {entries[^1].LastOffset} in {Path}");
            }

            Span<byte> bytes = stackalloc byte[EntrySize];
            Write(bytes, transaction);
            using (SafeFileHandle handle = File.OpenHandle(Path, FileMode.OpenOrCreate, FileAccess.Write))
            {
                RandomAccess.Write(handle, bytes, (long)entries.Length * EntrySize);
            }

            _dirty = true;
            Volatile.Write(ref _entries, [.. entries, transaction]);
        }
    }

    /// <summary>
    /// Kafka's collectAbortedTxns: adds the entries overlapping [<paramref name="fetchOffset"/>,
    /// <paramref name="upperBoundOffset"/>) to <paramref name="into"/>. True once an entry decided with a last
    /// stable offset at or past the upper bound is found: every transaction overlapping the range was decided by
    /// then, so later segments need not be searched.
    /// </summary>
    public bool Collect(long fetchOffset, long upperBoundOffset, List<AbortedTransaction> into)
    {
        foreach (AbortedTransaction entry in Entries)
        {
            if (entry.LastOffset >= fetchOffset && entry.FirstOffset < upperBoundOffset)
            {
                into.Add(entry);
            }

            if (entry.LastStableOffset >= upperBoundOffset)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Drops the entries whose marker is at or after <paramref name="offset"/> (truncation, recovery rebuilding them).</summary>
    public void TruncateTo(long offset)
    {
        lock (_lock)
        {
            AbortedTransaction[] entries = Entries;
            int keep = entries.Length;
            while (keep > 0 && entries[keep - 1].LastOffset >= offset)
            {
                keep--;
            }

            if (keep == entries.Length)
            {
                return;
            }

            if (keep == 0)
            {
                File.Delete(Path);
            }
            else
            {
                using SafeFileHandle handle = File.OpenHandle(Path, FileMode.OpenOrCreate, FileAccess.Write);
                RandomAccess.SetLength(handle, (long)keep * EntrySize);
                FileSync.DataSync(handle);
            }

            _dirty = false;
            Volatile.Write(ref _entries, entries[..keep]);
        }
    }

    /// <summary>Makes appended entries durable (the segment's flush round).</summary>
    public void Sync()
    {
        lock (_lock)
        {
            if (!_dirty)
            {
                return;
            }

            try
            {
                using SafeFileHandle handle = File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite);
                FileSync.DataSync(handle);
            }
            catch (FileNotFoundException)
            {
                // Deleted with its segment while the round ran.
            }

            _dirty = false;
        }
    }

    public void Delete()
    {
        lock (_lock)
        {
            File.Delete(Path);
            _dirty = false;
            Volatile.Write(ref _entries, []);
        }
    }

    /// <summary>Parses a file's entries; stops at a torn entry or one of an unknown version.</summary>
    public static AbortedTransaction[] Parse(ReadOnlySpan<byte> bytes)
    {
        var entries = new List<AbortedTransaction>(bytes.Length / EntrySize);
        for (int position = 0; position + EntrySize <= bytes.Length; position += EntrySize)
        {
            ReadOnlySpan<byte> entry = bytes.Slice(position, EntrySize);
            if (BinaryPrimitives.ReadInt16BigEndian(entry) != EntryVersion)
            {
                break;
            }

            entries.Add(new AbortedTransaction(
                BinaryPrimitives.ReadInt64BigEndian(entry[2..]),
                BinaryPrimitives.ReadInt64BigEndian(entry[10..]),
                BinaryPrimitives.ReadInt64BigEndian(entry[18..]),
                BinaryPrimitives.ReadInt64BigEndian(entry[26..])));
        }

        return [.. entries];
    }

    public static void Write(Span<byte> destination, AbortedTransaction transaction)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, EntryVersion);
        BinaryPrimitives.WriteInt64BigEndian(destination[2..], transaction.ProducerId);
        BinaryPrimitives.WriteInt64BigEndian(destination[10..], transaction.FirstOffset);
        BinaryPrimitives.WriteInt64BigEndian(destination[18..], transaction.LastOffset);
        BinaryPrimitives.WriteInt64BigEndian(destination[26..], transaction.LastStableOffset);
    }

    private AbortedTransaction[] Load()
    {
        lock (_lock)
        {
            if (Volatile.Read(ref _entries) is { } loaded)
            {
                return loaded;
            }

            AbortedTransaction[] entries = [];
            try
            {
                using SafeFileHandle handle = File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite);
                long length = RandomAccess.GetLength(handle);
                if (length > 0)
                {
                    // An index is bounded by its segment (at most one entry per marker batch), so it fits in memory.
                    byte[] bytes = new byte[(int)Math.Min(length, int.MaxValue - EntrySize)];
                    int read = RandomAccess.Read(handle, bytes, 0);
                    entries = Parse(bytes.AsSpan(0, read));
                    if ((long)entries.Length * EntrySize != length)
                    {
                        // A torn or foreign tail: keep the valid prefix, as recovery would rebuild the rest.
                        RandomAccess.SetLength(handle, (long)entries.Length * EntrySize);
                    }
                }
            }
            catch (FileNotFoundException)
            {
            }

            Volatile.Write(ref _entries, entries);
            return entries;
        }
    }
}
