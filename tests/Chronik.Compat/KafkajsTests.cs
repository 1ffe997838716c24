using Chronik.Compat.Harness;
using Xunit.Abstractions;

namespace Chronik.Compat;

/// <summary>
/// kafkajs 2.2.4 (npm, pure JS; snappy, lz4 and zstd through codecs.js) through js/kafkajs_client.js.
/// Its consumer always joins a consumer group (kafkajs has no group-less consumer).
/// </summary>
public sealed class KafkajsTests : IClassFixture<BrokerFixture>, IDisposable
{
    private readonly ScriptClient _client;
    private readonly CompatScenarios _scenarios;

    public KafkajsTests(BrokerFixture broker, ITestOutputHelper output)
    {
        _client = ScriptClient.Kafkajs(broker.BootstrapServers);
        _scenarios = new CompatScenarios(_client, broker, output);
    }

    [Fact]
    public async Task Runs_kafkajs_2_2_4()
    {
        var version = await _client.VersionAsync();
        Assert.Equal("2.2.4", version.GetProperty("version").GetString());
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

    public void Dispose() => _client.Dispose();
}
