using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Chronik.Server.Hosting;

/// <summary>
/// The memory Kestrel's socket transport reads into and writes from: pooled, pinned 64 KiB blocks instead of
/// Kestrel's 4 KiB ones. The transport receives into one block per system call, so a 1 MB produce request
/// takes about 16 receives instead of about 250 (and a 1 MB fetch response is sent from 16 segments, not
/// 250). Kafka connections are few and long-lived, so the larger block per idle connection costs little.
/// </summary>
internal sealed class TransportMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    private readonly ConcurrentQueue<Block> _free = new();
    private readonly int _maxRetained;
    private int _retained;
    private bool _disposed;

    /// <param name="maxRetained">Free blocks kept for reuse; blocks returned beyond that are left to the GC.</param>
    public TransportMemoryPool(int maxRetained)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetained);
        _maxRetained = maxRetained;
    }

    public override int MaxBufferSize => BlockSize;

    /// <summary>Free blocks held for reuse.</summary>
    public int RetainedBlocks => Volatile.Read(ref _retained);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _retained);
            block.Lease();
            return block;
        }

        return new Block(this);
    }

    protected override void Dispose(bool disposing)
    {
        Volatile.Write(ref _disposed, true);
        _free.Clear();
        Volatile.Write(ref _retained, 0);
    }

    private void Return(Block block)
    {
        if (Volatile.Read(ref _disposed) || Interlocked.Increment(ref _retained) > _maxRetained)
        {
            if (!Volatile.Read(ref _disposed))
            {
                Interlocked.Decrement(ref _retained);
            }

            return;
        }

        _free.Enqueue(block);
    }

    /// <summary>One pinned block; it goes back to its pool when the owner disposes it (once per lease).</summary>
    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly TransportMemoryPool _pool;
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        private int _leased = 1;

        public Block(TransportMemoryPool pool) => _pool = pool;

        public Memory<byte> Memory => Volatile.Read(ref _leased) == 1
            ? _array
            : throw new ObjectDisposedException(nameof(Block));

        public void Lease() => Volatile.Write(ref _leased, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _leased, 0) == 1)
            {
                _pool.Return(this);
            }
        }
    }
}

/// <summary>Hands Kestrel's transports a <see cref="TransportMemoryPool"/> (Kestrel takes its pool factory from DI).</summary>
internal sealed class TransportMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    /// <summary>Free blocks each pool keeps (8 MiB): a few connections' 1 MB frames in flight reuse them.</summary>
    public const int MaxRetainedBlocks = 128;

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new TransportMemoryPool(MaxRetainedBlocks);
}
