using Chronik.Bench.Cli;
using Chronik.Bench.Mock;
using Chronik.Bench.Report;
using Chronik.Bench.Scenarios;
using Chronik.Bench.Targets;

namespace Chronik.Bench;

public static class Program
{
    private const string Usage = """
        chronik-bench: Kafka broker throughput and latency beside librdkafka's mock cluster and the machine's limits.

          run          all scenarios on the mock and on chronik-server, report to bench/results/<date>.md
                       [--quick] [--duration S] [--warmup S] [--scenarios S1,S2,...] [--out FILE] [--work-dir DIR]
                       [--profile auto|always|never] [--profile-duration S] [--tools-dir DIR] [--revision TEXT]
                       [--many-topics N] [--latency-rate N]
                       [--cluster-bootstrap 127.0.0.1:P,... [--cluster-pids PID,...] [--cluster-replication N]]
          produce      --bootstrap HOST:PORT --topic T [--create] [--partitions N] [--replication N] [--record-size B]
                       [--acks 0|1|all] [--codec none|gzip|snappy|lz4|zstd] [--linger-ms MS] [--batch-size B]
                       [--duration S] [--warmup S] [--broker-pid PID]
          consume      --bootstrap HOST:PORT --topic T [--partitions N] [--duration S] [--warmup S] [--broker-pid PID]
          latency      --bootstrap HOST:PORT --topic T [--create] [--rate N] [--record-size B] [--acks ...] [--linger-ms MS]
                       [--duration S] [--warmup S] [--broker-pid PID]
          limits       [--work-dir DIR] [--duration S]
          mock-broker  [--brokers N]   (the reference broker process the run command starts)

        Bootstrap addresses must be 127.0.0.1, localhost or [::1] with a port. See bench/README.md.
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            var options = new Arguments(args.Skip(1));
            return args[0] switch
            {
                "run" => await RunAsync(options, args, cancel.Token),
                "produce" => await ClientCommands.ProduceAsync(options, cancel.Token),
                "consume" => await ClientCommands.ConsumeAsync(options, cancel.Token),
                "latency" => await ClientCommands.LatencyAsync(options, cancel.Token),
                "limits" => await ClientCommands.LimitsAsync(options, cancel.Token),
                "mock-broker" => MockBroker(options),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (Exception e) when (e is UsageException or ArgumentException)
        {
            Console.Error.WriteLine($"chronik-bench: {e.Message}");
            return 2;
        }
        catch (ScenarioFailedException e)
        {
            Console.Error.WriteLine($"chronik-bench: failed: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("chronik-bench: interrupted");
            return 130;
        }
    }

    private static int MockBroker(Arguments options)
    {
        int brokers = options.Int("--brokers", 1, 1, 16);
        options.EnsureAllUsed();
        return MockBrokerHost.Run(brokers);
    }

    private static async Task<int> RunAsync(Arguments arguments, string[] args, CancellationToken cancellationToken)
    {
        var options = RunOptions.Parse(arguments);
        arguments.EnsureAllUsed();
        var report = await new BenchRunner(options).RunAsync(cancellationToken);
        string markdown = MarkdownReport.Write(report, "chronik-bench " + string.Join(' ', args));
        string? folder = Path.GetDirectoryName(Path.GetFullPath(options.OutputPath));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        await File.WriteAllTextAsync(options.OutputPath, markdown, cancellationToken);
        Console.Out.WriteLine($"report written to {options.OutputPath}");
        return 0;
    }
}
