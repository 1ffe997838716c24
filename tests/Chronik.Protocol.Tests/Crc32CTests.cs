using System.Text;
using Chronik.Protocol.Records;

namespace Chronik.Protocol.Tests;

public class Crc32CTests
{
    [Fact]
    public void Check_value_of_123456789_is_the_standard_one()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Appending_in_pieces_equals_one_pass()
    {
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        uint state = 0xFFFFFFFFu;
        state = Crc32C.Append(state, data.AsSpan(0, 13));
        state = Crc32C.Append(state, data.AsSpan(13, 500));
        state = Crc32C.Append(state, data.AsSpan(513));
        Assert.Equal(Crc32C.Compute(data), ~state);
    }
}
