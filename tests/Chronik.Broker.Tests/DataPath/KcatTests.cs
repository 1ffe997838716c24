using System.Diagnostics;
using System.Text;
using Chronik.Testing;

namespace Chronik.Broker.Tests.DataPath;

/// <summary>kcat (librdkafka 2.0.2, Debian's) as a child process against a chronik-server child process.</summary>
public class KcatTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task Produce_and_consume_every_codec(string codec)
    {
        string topic = $"kcat-{codec}-{Guid.NewGuid():N}";
        var lines = Enumerable.Range(0, 300).Select(i => $"key{i}:{codec}-value-{i}").ToList();
        var produce = await RunAsync(["-P", "-t", topic, "-K", ":", "-X", $"compression.codec={codec}", "-X", "acks=all"], string.Join('\n', lines) + "\n");
        Assert.True(produce.ExitCode == 0, $"kcat -P failed: {produce.Error}");

        var consume = await RunAsync(["-C", "-t", topic, "-o", "beginning", "-e", "-f", "%o %k:%s\\n"], null);
        Assert.True(consume.ExitCode == 0, $"kcat -C failed: {consume.Error}");
        var expected = lines.Select((line, i) => $"{i} {line}").ToList();
        Assert.Equal(expected, consume.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Metadata_lists_the_produced_topic_with_this_broker_as_leader()
    {
        string topic = $"kcat-meta-{Guid.NewGuid():N}";
        Assert.Equal(0, (await RunAsync(["-P", "-t", topic], "x\n")).ExitCode);
        var metadata = await RunAsync(["-L", "-t", topic], null);
        Assert.Contains($"topic \"{topic}\" with 1 partitions", metadata.Output, StringComparison.Ordinal);
        Assert.Contains("partition 0, leader 1", metadata.Output, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(IEnumerable<string> arguments, string? input)
    {
        var info = new ProcessStartInfo("kcat")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-b");
        info.ArgumentList.Add(Loopback.Bootstrap(server.Bootstrap));
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("kcat did not start (apt-get install -y kcat)");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kcat {string.Join(' ', arguments)} did not finish: {await error}");
        }

        return (process.ExitCode, await output, await error);
    }
}
