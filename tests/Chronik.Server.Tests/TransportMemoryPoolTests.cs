using System.Buffers;
using System.Runtime.InteropServices;
using Chronik.Server.Hosting;

namespace Chronik.Server.Tests;

public class TransportMemoryPoolTests
{
    [Fact]
    public void A_rented_block_is_64_KiB_and_comes_back_after_it_is_disposed()
    {
        using var pool = new TransportMemoryPool(maxRetained: 4);
        var first = pool.Rent();
        Assert.Equal(TransportMemoryPool.BlockSize, first.Memory.Length);
        byte[] array = ArrayOf(first);
        first.Dispose();

        using var second = pool.Rent(100);
        Assert.Same(array, ArrayOf(second));
        Assert.Equal(0, pool.RetainedBlocks);
    }

    [Fact]
    public void Disposing_a_block_twice_returns_it_once_and_a_returned_block_refuses_access()
    {
        using var pool = new TransportMemoryPool(maxRetained: 4);
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();

        Assert.Equal(1, pool.RetainedBlocks);
        Assert.Throws<ObjectDisposedException>(() => block.Memory);
        var again = pool.Rent();
        var other = pool.Rent();
        Assert.NotSame(ArrayOf(again), ArrayOf(other));
    }

    [Fact]
    public void At_most_max_retained_free_blocks_are_kept()
    {
        using var pool = new TransportMemoryPool(maxRetained: 3);
        var blocks = Enumerable.Range(0, 5).Select(_ => pool.Rent()).ToList();
        blocks.ForEach(b => b.Dispose());

        Assert.Equal(3, pool.RetainedBlocks);
    }

    [Fact]
    public void A_request_larger_than_a_block_is_refused()
    {
        using var pool = new TransportMemoryPool(maxRetained: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(TransportMemoryPool.BlockSize + 1));
        Assert.Equal(TransportMemoryPool.BlockSize, pool.MaxBufferSize);
    }

    [Fact]
    public void A_disposed_pool_rents_nothing_and_keeps_nothing_returned_later()
    {
        var pool = new TransportMemoryPool(maxRetained: 2);
        var block = pool.Rent();
        pool.Dispose();

        block.Dispose();
        Assert.Equal(0, pool.RetainedBlocks);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }

    private static byte[] ArrayOf(IMemoryOwner<byte> owner) =>
        MemoryMarshal.TryGetArray<byte>(owner.Memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not array-backed");
}
