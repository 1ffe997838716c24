using System.Net;
using System.Net.Sockets;
using Chronik.Broker.Tests.Network;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using Xunit.Abstractions;

namespace Chronik.Broker.Tests.Fuzz;

/// <summary>One chronik-server child process shared by the fuzz tests of a class.</summary>
public sealed class FuzzBrokerFixture : IAsyncLifetime
{
    private BrokerProcess? _broker;

    public BrokerProcess Broker => _broker ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _broker = await BrokerProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}

/// <summary>
/// Issue 5 item 5: bad input against a running chronik-server. Random and truncated frames, absurd
/// sizes, unknown api keys and versions, and garbage bodies for every api key, from seeded Randoms on
/// parallel connections; meanwhile a healthy connection keeps getting correct answers; afterwards the
/// process is alive, /health/live is 200 and its resident memory stayed bounded and flat.
/// Set CHRONIK_FUZZ_SEED to replay a run; the seed is printed.
/// </summary>
public sealed class BrokerFuzzTests(FuzzBrokerFixture fixture, ITestOutputHelper output) : IClassFixture<FuzzBrokerFixture>
{
    private const int Rounds = 4;
    private const int Workers = 4;
    private const int IterationsPerWorkerAndRound = 250;
    private const long ResidentLimitBytes = 500L * 1024 * 1024;
    private const long ResidentGrowthAllowanceBytes = 48L * 1024 * 1024;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(10);

    private BrokerProcess Broker => fixture.Broker;

    [Fact]
    public async Task ApiVersions_newer_than_supported_gets_UNSUPPORTED_VERSION_and_the_supported_range()
    {
        using var client = await RawKafkaClient.ConnectAsync(Broker.KafkaPort);
        await client.SendAsync(FuzzFrames.Frame((short)ApiKey.ApiVersions, short.MaxValue, 77, []));
        byte[] frame = await client.ReceiveAsync() ?? throw new InvalidOperationException("connection closed instead of an answer");

        // KIP-511: a version-0 answer (header v0) so any client can read it.
        var reader = new KafkaReader(frame);
        var header = new ResponseHeader();
        header.Read(ref reader, 0);
        var response = new ApiVersionsResponse().ReadFrom(frame.AsMemory(reader.Position), 0);
        Assert.Equal(77, header.CorrelationId);
        Assert.Equal((short)ErrorCode.UnsupportedVersion, response.ErrorCode);
        var apiVersions = Assert.Single(response.ApiKeys, k => k.ApiKey == (short)ApiKey.ApiVersions);
        Assert.True(apiVersions.MaxVersion >= 3, $"ApiVersions max version {apiVersions.MaxVersion}");
    }

    [Theory]
    [InlineData((short)-1)]
    [InlineData(short.MinValue)]
    [InlineData((short)10_000)]
    [InlineData(short.MaxValue)]
    public async Task Unknown_api_key_closes_the_connection(short apiKey)
    {
        using var client = await RawKafkaClient.ConnectAsync(Broker.KafkaPort);
        await client.SendAsync(FuzzFrames.Frame(apiKey, 0, 1, [1, 2, 3]));
        Assert.True(await client.IsClosedByServerAsync(CloseTimeout), $"api key {apiKey}: the connection stayed open");
        await AssertHealthyAsync();
    }

    [Theory]
    [InlineData((short)-1)]
    [InlineData((short)999)]
    [InlineData(short.MaxValue)]
    public async Task Unsupported_Metadata_version_closes_the_connection(short version)
    {
        using var client = await RawKafkaClient.ConnectAsync(Broker.KafkaPort);
        await client.SendAsync(FuzzFrames.Frame((short)ApiKey.Metadata, version, 1, [0, 0, 0, 0]));
        Assert.True(await client.IsClosedByServerAsync(CloseTimeout), $"Metadata v{version}: the connection stayed open");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(FuzzFrames.SocketRequestMaxBytes + 1)]
    [InlineData(int.MaxValue)]
    public async Task Absurd_frame_size_closes_the_connection_without_allocating_it(int size)
    {
        long before = ProcessStatus.ResidentBytes(Broker.ProcessId);
        using var client = await RawKafkaClient.ConnectAsync(Broker.KafkaPort);
        await client.SendAsync(FuzzFrames.AbsurdSizeFrame(new Random(size), size));

        // The size alone must end the connection: nothing waits for 2 GiB that will never come.
        Assert.True(await client.IsClosedByServerAsync(CloseTimeout), $"frame size {size}: the connection stayed open");
        long after = ProcessStatus.ResidentBytes(Broker.ProcessId);
        Assert.True(after - before < 64L * 1024 * 1024, $"frame size {size}: resident memory grew from {Mb(before)} to {Mb(after)}");
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task Random_truncated_and_garbage_frames_on_parallel_connections_leave_the_broker_serving_with_flat_memory()
    {
        int seed = Environment.GetEnvironmentVariable("CHRONIK_FUZZ_SEED") is { Length: > 0 } configured
            ? int.Parse(configured, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"fuzz seed {seed} (replay with CHRONIK_FUZZ_SEED={seed})");

        using var healthy = await HealthyClient.ConnectAsync(Broker.KafkaPort);
        using var stopHealthy = new CancellationTokenSource();
        Task healthyLoop = Task.Run(async () =>
        {
            while (!stopHealthy.IsCancellationRequested)
            {
                await healthy.CheckOnceAsync();
                // Paced, so on two cores the healthy client does not starve the fuzzing connections.
                await Task.Delay(2);
            }
        });

        var resident = new List<long>();
        var stats = new FuzzStats();
        for (int round = 0; round < Rounds; round++)
        {
            var workers = Enumerable.Range(0, Workers)
                .Select(w => Task.Run(() => RunWorkerAsync(new Random(HashCode.Combine(seed, round, w)), stats)))
                .ToArray();
            await Task.WhenAll(workers);
            Assert.False(healthyLoop.IsFaulted, $"seed {seed}, round {round}: the healthy connection failed: {healthyLoop.Exception?.GetBaseException().Message}");
            Assert.False(Broker.HasExited, $"seed {seed}, round {round}: chronik-server exited:\n{Tail(Broker.Output)}");
            resident.Add(ProcessStatus.ResidentBytes(Broker.ProcessId));
            output.WriteLine($"round {round}: {stats}, healthy answers {healthy.Answers}, VmRSS {Mb(resident[^1])}");
        }

        stopHealthy.Cancel();
        await healthyLoop;

        Assert.True(stats.Failures.IsEmpty, $"seed {seed}: {stats.Failures.Count} expectation(s) failed:\n  {string.Join("\n  ", stats.Failures.Take(20))}");
        Assert.True(healthy.Answers >= Rounds, $"seed {seed}: the healthy connection got only {healthy.Answers} answer pairs");
        await AssertHealthyAsync();
        using (var live = await Broker.Http.GetAsync("health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        Assert.True(resident.Max() < ResidentLimitBytes, $"seed {seed}: VmRSS reached {Mb(resident.Max())} (limit {Mb(ResidentLimitBytes)}); per round: {string.Join(", ", resident.Select(Mb))}");
        // Flat, not growing: the last round ends near the high-water mark of the earlier ones.
        long earlier = resident.Take(Rounds - 1).Max();
        Assert.True(resident[^1] <= earlier + ResidentGrowthAllowanceBytes, $"seed {seed}: VmRSS kept growing across rounds: {string.Join(", ", resident.Select(Mb))}");
    }

    private async Task RunWorkerAsync(Random random, FuzzStats stats)
    {
        var apiTypes = ApiMessageTypes.All;
        for (int i = 0; i < IterationsPerWorkerAndRound; i++)
        {
            int kind = random.Next(6);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, Broker.KafkaPort);
            switch (kind)
            {
                case 0:
                    await SendQuietlyAsync(socket, FuzzFrames.RandomBytes(random));
                    stats.Count("random bytes");
                    break;
                case 1:
                    await SendQuietlyAsync(socket, FuzzFrames.Truncated(random, i));
                    stats.Count("truncated");
                    break;
                case 2:
                    int size = FuzzFrames.AbsurdSize(random);
                    await SendQuietlyAsync(socket, FuzzFrames.AbsurdSizeFrame(random, size));
                    await ExpectClosedAsync(socket, $"frame size {size}", stats);
                    stats.Count("absurd size");
                    break;
                case 3:
                    short apiKey = FuzzFrames.UnknownApiKey(random);
                    await SendQuietlyAsync(socket, FuzzFrames.Frame(apiKey, (short)random.Next(short.MinValue, short.MaxValue + 1), i, FuzzFrames.RandomBytes(random)));
                    await ExpectClosedAsync(socket, $"unknown api key {apiKey}", stats);
                    stats.Count("unknown api key");
                    break;
                case 4:
                    // Every api key in turn, so each one's decoder sees garbage.
                    var type = apiTypes[(i + random.Next(2)) % apiTypes.Count];
                    await SendQuietlyAsync(socket, FuzzFrames.GarbageBody(random, i, type));
                    await DrainBrieflyAsync(socket);
                    stats.Count("garbage body");
                    break;
                default:
                    await SendQuietlyAsync(socket, FuzzFrames.Mutated(random, i));
                    await DrainBrieflyAsync(socket);
                    stats.Count("mutated");
                    break;
            }
        }
    }

    /// <summary>Sends; the broker may already have closed the connection (that is an allowed answer to garbage).</summary>
    private static async Task SendQuietlyAsync(Socket socket, byte[] bytes)
    {
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>The broker must close the connection (it may not answer first); anything else within the timeout is a failure.</summary>
    private static async Task ExpectClosedAsync(Socket socket, string what, FuzzStats stats)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read > 0)
            {
                stats.Fail($"{what}: the broker answered {read} bytes instead of closing the connection");
            }
        }
        catch (OperationCanceledException)
        {
            stats.Fail($"{what}: the connection was still open after {CloseTimeout.TotalSeconds} s");
        }
        catch (SocketException)
        {
            // Reset by the broker: closed.
        }
    }

    /// <summary>Reads whatever comes back for a short while (an error answer or a close), then lets the caller close.</summary>
    private static async Task DrainBrieflyAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
    }

    private async Task AssertHealthyAsync()
    {
        using var client = await HealthyClient.ConnectAsync(Broker.KafkaPort);
        await client.CheckOnceAsync();
    }

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024):F0} MB";

    private static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];

    private sealed class FuzzStats
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _counts = new();

        public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();

        public void Count(string kind) => _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);

        public void Fail(string problem) => Failures.Enqueue(problem);

        public override string ToString() => string.Join(", ", _counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"));
    }
}
