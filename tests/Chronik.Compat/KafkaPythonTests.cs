using Chronik.Compat.Harness;
using Xunit.Abstractions;

namespace Chronik.Compat;

/// <summary>
/// kafka-python 2.0.2 (Debian python3-kafka, run by /usr/bin/python3) through python/kafka_python_client.py.
/// </summary>
public sealed class KafkaPythonTests : IClassFixture<BrokerFixture>, IDisposable
{
    private readonly ScriptClient _client;
    private readonly CompatScenarios _scenarios;

    public KafkaPythonTests(BrokerFixture broker, ITestOutputHelper output)
    {
        _client = ScriptClient.KafkaPython(broker.BootstrapServers);
        _scenarios = new CompatScenarios(_client, broker, output);
    }

    [Fact]
    public async Task Runs_kafka_python_2_0_2_with_its_snappy_lz4_and_zstd_modules()
    {
        var version = await _client.VersionAsync();
        Assert.Equal("2.0.2", version.GetProperty("version").GetString());
        foreach (string codec in new[] { "gzip", "snappy", "lz4", "zstd" })
        {
            // Missing modules: scripts/test.sh installs python3-snappy, python3-lz4 and python3-zstandard.
            Assert.True(version.GetProperty("codecs").GetProperty(codec).GetBoolean(), $"kafka-python cannot use {codec}: {version}");
        }
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
