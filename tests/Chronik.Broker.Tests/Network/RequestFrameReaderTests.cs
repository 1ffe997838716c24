using System.Buffers;
using System.Buffers.Binary;
using Chronik.Broker.Network;

namespace Chronik.Broker.Tests.Network;

public class RequestFrameReaderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    public void Frames_split_at_random_points_come_out_whole_and_in_order(int seed)
    {
        var random = new Random(seed);
        var frames = Enumerable.Range(0, 200).Select(i => RandomBytes(random, random.Next(0, i % 20 == 0 ? 200_000 : 300))).ToList();
        byte[] stream = frames.SelectMany(Framed).ToArray();
        var reader = new RequestFrameReader(1 << 20);
        var received = new List<byte[]>();

        int offset = 0;
        var pending = new List<byte>();
        while (offset < stream.Length)
        {
            // Feed chunks of random size; like the read loop, unconsumed bytes are offered again with new ones.
            int chunk = Math.Min(stream.Length - offset, random.Next(1, 70_000));
            pending.AddRange(stream.AsSpan(offset, chunk).ToArray());
            offset += chunk;
            var input = new ReadOnlySequence<byte>(pending.ToArray());
            while (true)
            {
                var status = reader.TryRead(ref input, out var frame);
                Assert.NotEqual(FrameReadStatus.InvalidSize, status);
                if (status == FrameReadStatus.NeedMoreData)
                {
                    break;
                }

                received.Add(frame.Span.ToArray());
                ArrayPool<byte>.Shared.Return(frame.Buffer);
            }

            Assert.True(input.Length < 4, "the reader consumes everything but an incomplete size prefix");
            pending = [.. input.ToArray()];
        }

        Assert.Equal(frames.Count, received.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.Equal(frames[i], received[i]);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(1001)]
    public void A_size_outside_the_limit_is_rejected_without_allocating(int size)
    {
        var reader = new RequestFrameReader(1000);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, size);
        var input = new ReadOnlySequence<byte>(prefix);

        Assert.Equal(FrameReadStatus.InvalidSize, reader.TryRead(ref input, out _));
        Assert.Equal(size, reader.RejectedSize);
        Assert.False(reader.HasPartialFrame);
    }

    [Fact]
    public void A_huge_announced_frame_holds_memory_in_proportion_to_the_bytes_received()
    {
        const int announced = 100_000_000;
        var reader = new RequestFrameReader(announced);
        var prefix = new byte[4 + 1000];
        BinaryPrimitives.WriteInt32BigEndian(prefix, announced);
        var input = new ReadOnlySequence<byte>(prefix);

        Assert.Equal(FrameReadStatus.NeedMoreData, reader.TryRead(ref input, out _));
        Assert.True(reader.HasPartialFrame);
        Assert.InRange(reader.PartialFrameCapacity, 1000, 2 * RequestFrameReader.DirectAllocationLimit);

        var more = new ReadOnlySequence<byte>(new byte[1_000_000]);
        Assert.Equal(FrameReadStatus.NeedMoreData, reader.TryRead(ref more, out _));
        Assert.InRange(reader.PartialFrameCapacity, 1_001_000, 4_004_000);
        reader.Reset();
        Assert.False(reader.HasPartialFrame);
    }

    [Fact]
    public void Missing_bytes_count_down_to_the_end_of_the_started_frame()
    {
        var reader = new RequestFrameReader(1000);
        Assert.Equal(0, reader.MissingBytes);
        var start = new byte[4 + 100];
        BinaryPrimitives.WriteInt32BigEndian(start, 300);
        var input = new ReadOnlySequence<byte>(start);

        Assert.Equal(FrameReadStatus.NeedMoreData, reader.TryRead(ref input, out _));
        Assert.Equal(200, reader.MissingBytes);

        var rest = new ReadOnlySequence<byte>(new byte[200]);
        Assert.Equal(FrameReadStatus.Frame, reader.TryRead(ref rest, out var frame));
        Assert.Equal(0, reader.MissingBytes);
        ArrayPool<byte>.Shared.Return(frame.Buffer);
    }

    [Fact]
    public void A_zero_length_frame_is_a_frame()
    {
        var reader = new RequestFrameReader(10);
        var input = new ReadOnlySequence<byte>(new byte[4]);

        Assert.Equal(FrameReadStatus.Frame, reader.TryRead(ref input, out var frame));
        Assert.Equal(0, frame.Length);
        Assert.Equal(-1, frame.ApiKey);
        Assert.False(frame.HasFixedHeader);
        ArrayPool<byte>.Shared.Return(frame.Buffer);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Framed(byte[] body)
    {
        var framed = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(framed, body.Length);
        body.CopyTo(framed, 4);
        return framed;
    }
}
