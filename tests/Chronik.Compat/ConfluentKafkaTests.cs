using Chronik.Compat.Harness;
using Xunit.Abstractions;

namespace Chronik.Compat;

/// <summary>Confluent.Kafka 2.16 (in-process, bundled librdkafka 2.16) against a chronik-server child process.</summary>
public sealed class ConfluentKafkaTests(BrokerFixture broker, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    private readonly CompatScenarios _scenarios = new(broker.Reference, broker, output);

    [Fact]
    public void Loads_the_bundled_librdkafka_2_16_not_a_system_one()
    {
        // Confluent.Kafka.targets copies the package's centos8 build over librdkafka.so; without it the
        // loader silently falls back to Debian's 2.0.2 and recent protocol versions vanish from the tests.
        Assert.StartsWith("2.16.", Confluent.Kafka.Library.VersionString, StringComparison.Ordinal);
    }

    [Fact]
    public Task Creates_a_topic_with_three_partitions() => _scenarios.CreateTopicAsync();

    [Theory]
    [InlineData(Codec.None)]
    [InlineData(Codec.Gzip)]
    [InlineData(Codec.Snappy)]
    [InlineData(Codec.Lz4)]
    [InlineData(Codec.Zstd)]
    public Task Round_trips_100000_records_byte_for_byte(Codec codec) => _scenarios.RoundTripAsync(codec);

    [Fact]
    public Task Lists_earliest_latest_and_by_timestamp_offsets() => _scenarios.ListOffsetsAsync();

    [Fact]
    public Task Describes_and_alters_topic_configs() => _scenarios.DescribeAndAlterConfigsAsync();

    [Fact]
    public Task Deletes_a_topic() => _scenarios.DeleteTopicAsync();
}
