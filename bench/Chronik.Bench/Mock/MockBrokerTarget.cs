using System.Diagnostics;
using System.Globalization;
using Chronik.Bench.Native;
using Chronik.Bench.Targets;
using Chronik.Testing;

namespace Chronik.Bench.Mock;

/// <summary>
/// The reference broker as a target: a `chronik-bench mock-broker` child process (see
/// <see cref="MockBrokerHost"/>) holding librdkafka's in-memory mock cluster. The mock does no disk
/// I/O and keeps at most 5 MiB or 100,000 batches per partition (older batches are dropped).
/// </summary>
public sealed class MockBrokerTarget : IBrokerTarget
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly SemaphoreSlim _commandGate = new(1, 1);

    private MockBrokerTarget(Process process, string bootstrapServers)
    {
        _process = process;
        BootstrapServers = Loopback.Bootstrap(bootstrapServers);
    }

    public string Name => "mock";

    public string BootstrapServers { get; }

    public IReadOnlyList<int> ProcessIds => [_process.Id];

    /// <summary>Starts a mock cluster of <paramref name="brokers"/> brokers in a child process.</summary>
    public static async Task<MockBrokerTarget> StartAsync(int brokers, CancellationToken cancellationToken)
    {
        var info = SelfProcess.CreateStartInfo(["mock-broker", "--brokers", brokers.ToString(CultureInfo.InvariantCulture)]);
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = false;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the mock broker process");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartTimeout);
            string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null || line.Split(' ') is not ["ready", var version, var bootstrap])
            {
                throw new InvalidOperationException($"mock broker did not start: '{line}'");
            }

            if (!version.StartsWith(BundledLibrdkafka.ExpectedVersionPrefix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the mock runs librdkafka {version}, expected {BundledLibrdkafka.ExpectedVersionPrefix}x");
            }

            return new MockBrokerTarget(process, bootstrap);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    public async Task CreateTopicsAsync(IReadOnlyList<string> topics, int partitions, int replicationFactor, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? configs = null)
    {
        if (configs is { Count: > 0 })
        {
            throw new ScenarioFailedException("the mock cluster takes no topic configs");
        }

        foreach (string topic in topics)
        {
            string reply = await CommandAsync($"create {partitions} {replicationFactor} {topic}", cancellationToken);
            if (reply != "ok")
            {
                throw new ScenarioFailedException($"mock could not create topic {topic}: {reply}");
            }
        }
    }

    public string RecentOutput(int lines) => string.Empty;

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            Kill(_process);
        }

        _process.Dispose();
        _commandGate.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private async Task<string> CommandAsync(string command, CancellationToken cancellationToken)
    {
        await _commandGate.WaitAsync(cancellationToken);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CommandTimeout);
            await _process.StandardInput.WriteLineAsync(command.AsMemory(), timeout.Token);
            await _process.StandardInput.FlushAsync(timeout.Token);
            return await _process.StandardOutput.ReadLineAsync(timeout.Token) ?? "error mock broker exited";
        }
        finally
        {
            _commandGate.Release();
        }
    }
}
