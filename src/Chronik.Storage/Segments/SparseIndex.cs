using System.Buffers.Binary;

namespace Chronik.Storage.Segments;

/// <summary>
/// A sparse index of fixed-size big-endian entries, held in memory in exactly its on-disk layout and written
/// to its file incrementally (only new entries are appended). Kafka memory-maps preallocated index files;
/// here an index is loaded on first use and dropped again when its partition goes idle, so an idle partition
/// costs no index memory, and files are never preallocated. Index files are derived data: recovery rebuilds
/// any that is missing or fails the sanity check, so they are written to the page cache when convenient and
/// fsynced only when their segment stops being active.
/// <para>Not thread-safe: <see cref="LogSegment"/> serializes access.</para>
/// </summary>
internal abstract class SparseIndex
{
    private const int InitialEntries = 16;

    private byte[] _entries = [];
    private int _persisted;
    private bool _fileTooLong;

    protected SparseIndex(string path, long baseOffset, int entrySize, int maxEntries)
    {
        Path = path;
        BaseOffset = baseOffset;
        EntrySize = entrySize;
        MaxEntries = Math.Max(1, maxEntries);
    }

    public string Path { get; private set; }

    public long BaseOffset { get; }

    public int EntrySize { get; }

    public int MaxEntries { get; }

    public int Count { get; private set; }

    public bool Loaded { get; private set; }

    public bool IsFull => Count >= MaxEntries;

    /// <summary>True while entries exist in memory that the file does not hold yet.</summary>
    public bool Dirty => Loaded && (_persisted < Count || _fileTooLong);

    /// <summary>Bytes of memory the loaded entries use.</summary>
    public int MemoryBytes => _entries.Length;

    protected ReadOnlySpan<byte> Entry(int index) => _entries.AsSpan(index * EntrySize, EntrySize);

    /// <summary>Starts empty in memory, as for a new segment or before a rebuild; the file is rewritten on the next persist.</summary>
    public void Reset()
    {
        _entries = [];
        Count = 0;
        _persisted = 0;
        _fileTooLong = true;
        Loaded = true;
    }

    /// <summary>Loads the file; false when it is missing or fails the sanity check (then the index stays unloaded).</summary>
    public bool TryLoad(long logSize)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path);
        }
        catch (FileNotFoundException)
        {
            return false;
        }

        if (bytes.Length % EntrySize != 0)
        {
            return false;
        }

        int count = bytes.Length / EntrySize;
        if (!IsSane(bytes, count, logSize))
        {
            return false;
        }

        _entries = bytes;
        Count = count;
        _persisted = count;
        _fileTooLong = false;
        Loaded = true;
        return true;
    }

    /// <summary>Reads only the last entry from the file, without loading the index (used when opening a log).</summary>
    public byte[]? ReadLastEntryFromFile()
    {
        try
        {
            using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(handle);
            if (length < EntrySize || length % EntrySize != 0)
            {
                return null;
            }

            byte[] entry = new byte[EntrySize];
            return RandomAccess.Read(handle, entry, length - EntrySize) == EntrySize ? entry : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Writes entries the file lacks; with <paramref name="sync"/> also makes them durable.</summary>
    public void Persist(bool sync)
    {
        if (!Loaded)
        {
            return;
        }

        if (_persisted == Count && !_fileTooLong && !sync)
        {
            return;
        }

        using var handle = File.OpenHandle(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        if (_fileTooLong)
        {
            RandomAccess.SetLength(handle, (long)_persisted * EntrySize);
            _fileTooLong = false;
        }

        if (_persisted < Count)
        {
            RandomAccess.Write(handle, _entries.AsSpan(_persisted * EntrySize, (Count - _persisted) * EntrySize), (long)_persisted * EntrySize);
            _persisted = Count;
        }

        if (sync)
        {
            Files.FileSync.DataSync(handle);
        }
    }

    /// <summary>Persists pending entries and drops the in-memory copy.</summary>
    public void Unload()
    {
        if (!Loaded)
        {
            return;
        }

        Persist(sync: false);
        _entries = [];
        Count = 0;
        _persisted = 0;
        Loaded = false;
    }

    /// <summary>Keeps the first <paramref name="count"/> entries.</summary>
    protected void TruncateEntries(int count)
    {
        if (count >= Count)
        {
            return;
        }

        Count = count;
        if (_persisted > count)
        {
            _persisted = count;
            _fileTooLong = true;
        }
    }

    protected Span<byte> AppendEntry()
    {
        int needed = (Count + 1) * EntrySize;
        if (needed > _entries.Length)
        {
            int capacity = Math.Max(InitialEntries, _entries.Length / EntrySize * 2);
            capacity = Math.Min(Math.Max(capacity, Count + 1), MaxEntries + 1);
            Array.Resize(ref _entries, capacity * EntrySize);
        }

        var slot = _entries.AsSpan(Count * EntrySize, EntrySize);
        Count++;
        return slot;
    }

    public void DeleteFile() => File.Delete(Path);

    public void RenameTo(string path)
    {
        File.Move(Path, path, overwrite: true);
        Path = path;
    }

    protected abstract bool IsSane(ReadOnlySpan<byte> entries, int count, long logSize);

    protected static int ReadInt(ReadOnlySpan<byte> span) => BinaryPrimitives.ReadInt32BigEndian(span);

    protected static long ReadLong(ReadOnlySpan<byte> span) => BinaryPrimitives.ReadInt64BigEndian(span);
}
