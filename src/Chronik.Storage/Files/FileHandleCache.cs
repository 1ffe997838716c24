using Microsoft.Win32.SafeHandles;

namespace Chronik.Storage.Files;

/// <summary>
/// A bounded set of open segment files shared by every partition of a <see cref="LogManager"/>, so 10,000
/// partitions do not hold 10,000 descriptors. A file is opened on first use and kept in LRU order; when more
/// than the capacity are open, the least recently used files without a lease are closed. A lease keeps a
/// handle open while an append, read, flush or scan uses it; a retired segment holds a lease until its
/// file.delete.delay.ms passed, so in-flight reads of a deleted or replaced segment still see the old bytes.
/// </summary>
internal sealed class FileHandleCache : IDisposable
{
    private readonly object _lock = new();
    private readonly LinkedList<CachedFile> _open = new();
    private readonly int _capacity;
    private long _opens;
    private bool _disposed;

    public FileHandleCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Files currently open (leased ones included, so this may briefly exceed the capacity).</summary>
    public int OpenCount
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>How many times a file was opened since start; a high rate means the capacity is too small.</summary>
    public long OpenedTotal => Interlocked.Read(ref _opens);

    public int Capacity => _capacity;

    /// <summary>Opens <paramref name="file"/> if needed and holds it open until the lease is disposed.</summary>
    public HandleLease Acquire(CachedFile file)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (file.Handle is null)
            {
                if (file.Retired)
                {
                    // The path may name a different file now (a cleaned replacement): never reopen it.
                    throw new FileNotFoundException($"{file.Path} belongs to a deleted segment whose delay passed", file.Path);
                }

                file.Handle = File.OpenHandle(file.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                file.Node = _open.AddLast(file);
                _opens++;

                // Leased before evicting, so a full cache of leased files never closes the one just opened.
                file.Leases++;
                EvictOverCapacity();
            }
            else
            {
                _open.Remove(file.Node!);
                _open.AddLast(file.Node!);
                file.Leases++;
            }

            return new HandleLease(this, file, file.Handle);
        }
    }

    /// <summary>Marks <paramref name="file"/> as belonging to a retired segment: once closed it is never reopened.</summary>
    public void Retire(CachedFile file)
    {
        lock (_lock)
        {
            file.Retired = true;
        }
    }

    /// <summary>Closes <paramref name="file"/> now, or when its last lease is released.</summary>
    public void Close(CachedFile file)
    {
        lock (_lock)
        {
            if (file.Leases > 0)
            {
                file.CloseOnRelease = true;
            }
            else
            {
                CloseLocked(file);
            }
        }
    }

    internal void Release(CachedFile file)
    {
        lock (_lock)
        {
            file.Leases--;
            if (file.Leases == 0 && (file.CloseOnRelease || _disposed))
            {
                CloseLocked(file);
            }
            else
            {
                EvictOverCapacity();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            var node = _open.First;
            while (node is not null)
            {
                var next = node.Next;
                if (node.Value.Leases == 0)
                {
                    CloseLocked(node.Value);
                }

                node = next;
            }
        }
    }

    private void EvictOverCapacity()
    {
        var node = _open.First;
        while (_open.Count > _capacity && node is not null)
        {
            var next = node.Next;
            if (node.Value.Leases == 0)
            {
                CloseLocked(node.Value);
            }

            node = next;
        }
    }

    private void CloseLocked(CachedFile file)
    {
        if (file.Handle is null)
        {
            return;
        }

        _open.Remove(file.Node!);
        file.Node = null;
        file.Handle.Dispose();
        file.Handle = null;
        file.CloseOnRelease = false;
    }
}

/// <summary>A file known to the <see cref="FileHandleCache"/>; its handle is open only while cached.</summary>
internal sealed class CachedFile
{
    public CachedFile(string path)
    {
        Path = path;
    }

    public string Path { get; }

    // The fields below are guarded by the cache's lock.
    internal SafeFileHandle? Handle;
    internal LinkedListNode<CachedFile>? Node;
    internal int Leases;
    internal bool CloseOnRelease;
    internal bool Retired;
}

/// <summary>Keeps a cached file open; dispose exactly once.</summary>
internal readonly struct HandleLease : IDisposable
{
    private readonly FileHandleCache? _cache;
    private readonly CachedFile? _file;

    internal HandleLease(FileHandleCache cache, CachedFile file, SafeFileHandle handle)
    {
        _cache = cache;
        _file = file;
        Handle = handle;
    }

    public SafeFileHandle Handle { get; }

    public void Dispose() => _cache?.Release(_file!);
}
