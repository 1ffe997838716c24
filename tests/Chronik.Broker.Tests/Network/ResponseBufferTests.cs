using System.Buffers.Binary;
using Chronik.Broker.Network;

namespace Chronik.Broker.Tests.Network;

public class ResponseBufferTests
{
    [Fact]
    public void Grows_while_writing_and_frames_the_body_with_its_size()
    {
        using var buffer = ResponseBuffer.Rent(8);
        var body = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        for (int offset = 0; offset < body.Length; offset += 1000)
        {
            body.AsSpan(offset, 1000).CopyTo(buffer.GetSpan(1000));
            buffer.Advance(1000);
        }

        Assert.Equal(body.Length, buffer.WrittenCount);
        Assert.Equal(body, buffer.WrittenSpan.ToArray());
        var frame = buffer.GetFrame();
        Assert.Equal(body.Length, BinaryPrimitives.ReadInt32BigEndian(frame));
        Assert.Equal(body, frame[4..].ToArray());
    }

    [Fact]
    public void Advancing_past_the_span_it_handed_out_is_refused()
    {
        using var buffer = ResponseBuffer.Rent(4);
        int available = buffer.GetSpan().Length;
        Assert.Throws<InvalidOperationException>(() => buffer.Advance(available + 1));
    }

    [Fact]
    public void Use_after_dispose_is_refused_and_double_dispose_is_harmless()
    {
        var buffer = ResponseBuffer.Rent();
        buffer.Dispose();
        buffer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => buffer.GetSpan());
    }
}
