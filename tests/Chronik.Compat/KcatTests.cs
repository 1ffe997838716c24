using System.Text.RegularExpressions;
using Chronik.Compat.Harness;
using Chronik.Testing;
using Xunit.Abstractions;

namespace Chronik.Compat;

/// <summary>
/// kcat 1.7.1 (Debian, librdkafka 2.0.2) as a child process. kcat produces text lines (-K key
/// delimiter), one header set for all records (-H) and stamps CreateTime itself; it has no admin
/// APIs, so topics for its tests are created by the reference client.
/// </summary>
public sealed class KcatTests : IClassFixture<BrokerFixture>, IDisposable
{
    private const string NoAdmin = "kcat has no admin APIs (CreateTopics, DeleteTopics, DescribeConfigs, AlterConfigs)";

    private readonly KcatClient _kcat;
    private readonly CompatScenarios _scenarios;

    public KcatTests(BrokerFixture broker, ITestOutputHelper output)
    {
        _kcat = new KcatClient(broker.BootstrapServers);
        _scenarios = new CompatScenarios(_kcat, broker, output);
    }

    [Fact]
    public async Task Runs_kcat_1_7_with_every_codec_built_in()
    {
        var version = await ClientProcess.RunAsync("kcat", ["-V"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Contains("kcat - Apache Kafka producer and consumer tool", version.StandardOutput + version.StandardError, StringComparison.Ordinal);
        string features = Regex.Match(version.StandardOutput, @"builtin\.features=(\S+)").Groups[1].Value;
        foreach (string codec in new[] { "gzip", "snappy", "lz4", "zstd" })
        {
            Assert.Contains(codec, features.Split(',', StringSplitOptions.TrimEntries));
        }
    }

    [Fact(Skip = NoAdmin)]
    public void Creates_a_topic_with_three_partitions()
    {
    }

    [Theory]
    [InlineData(Codec.None)]
    [InlineData(Codec.Gzip)]
    [InlineData(Codec.Snappy)]
    [InlineData(Codec.Lz4)]
    [InlineData(Codec.Zstd)]
    public Task Round_trips_100000_records_byte_for_byte(Codec codec) => _scenarios.RoundTripAsync(codec);

    [Fact]
    public Task Lists_earliest_latest_and_by_timestamp_offsets() => _scenarios.ListOffsetsAsync();

    [Fact(Skip = NoAdmin)]
    public void Describes_and_alters_topic_configs()
    {
    }

    [Fact(Skip = NoAdmin)]
    public void Deletes_a_topic()
    {
    }

    public void Dispose() => _kcat.Dispose();
}
