using Chronik.Broker.Groups;

namespace Chronik.Broker.Tests.Groups;

public class CoordinatorPartitionerTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("a", 97)]
    [InlineData("hello", 99162322)]
    [InlineData("my-group", -1906497762)]
    [InlineData("polygenelubricants", int.MinValue)]
    public void Java_string_hash_code_is_reproduced(string value, int expected) =>
        Assert.Equal(expected, CoordinatorPartitioner.JavaHashCode(value));

    [Theory]
    [InlineData("my-group", 12)]
    [InlineData("hello", 22)]
    [InlineData("console-consumer-12345", 6)]
    [InlineData("polygenelubricants", 0)]
    public void Partition_is_kafkas_utils_abs_of_the_hash_modulo_partitions(string groupId, int expected) =>
        Assert.Equal(expected, CoordinatorPartitioner.PartitionFor(groupId, 50));
}
