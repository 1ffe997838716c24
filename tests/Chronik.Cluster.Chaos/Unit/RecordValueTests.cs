using System.Text;
using Chronik.Cluster.Chaos.Checking;

namespace Chronik.Cluster.Chaos.Unit;

public sealed class RecordValueTests
{
    [Theory]
    [InlineData("idem1", 0L, 48)]
    [InlineData("plain1", 123_456_789_012L, 100)]
    [InlineData("probe", long.MaxValue, 200)]
    public void A_value_decodes_to_its_producer_and_sequence(string producer, long sequence, int size)
    {
        byte[] value = RecordValue.Encode(producer, sequence, size);

        Assert.Equal(size, value.Length);
        Assert.True(RecordValue.TryDecode(value, out string decodedProducer, out long decodedSequence));
        Assert.Equal(producer, decodedProducer);
        Assert.Equal(sequence, decodedSequence);
    }

    [Fact]
    public void Neighbouring_records_have_different_fillers()
    {
        Assert.NotEqual(
            RecordValue.Encode("p", 1, 64).AsSpan(12).ToArray(),
            RecordValue.Encode("p", 2, 64).AsSpan(12).ToArray());
    }

    [Fact]
    public void Every_single_bit_flip_is_detected()
    {
        byte[] value = RecordValue.Encode("idem2", 4711, 64);
        for (int i = 0; i < value.Length * 8; i++)
        {
            byte[] flipped = (byte[])value.Clone();
            flipped[i / 8] ^= (byte)(1 << (i % 8));
            Assert.False(RecordValue.TryDecode(flipped, out _, out _), $"bit {i} flipped still decodes");
        }
    }

    [Fact]
    public void Truncated_extended_and_foreign_values_are_refused()
    {
        byte[] value = RecordValue.Encode("idem1", 42, 64);

        Assert.False(RecordValue.TryDecode(value.AsSpan(0, 63), out _, out _));
        Assert.False(RecordValue.TryDecode([.. value, (byte)'a'], out _, out _));
        Assert.False(RecordValue.TryDecode([], out _, out _));
        Assert.False(RecordValue.TryDecode(Encoding.ASCII.GetBytes("chaos|idem1|042|" + new string('a', 40)), out _, out _));
        Assert.False(RecordValue.TryDecode(Encoding.ASCII.GetBytes(new string('x', 64)), out _, out _));
    }

    [Fact]
    public void Producer_ids_that_would_break_the_format_are_refused()
    {
        Assert.Throws<ArgumentException>(() => RecordValue.Encode("a|b", 0, 64));
        Assert.Throws<ArgumentException>(() => RecordValue.Encode("", 0, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => RecordValue.Encode("a", 0, 10));
    }

    [Fact]
    public void Records_go_round_robin_over_partitions()
    {
        Assert.Equal([0, 1, 2, 0, 1], Enumerable.Range(0, 5).Select(i => RecordValue.PartitionOf(i, 3)));
    }
}
