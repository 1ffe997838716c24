using BenchmarkDotNet.Running;

namespace Chronik.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        // `storage`: the Stopwatch harness for the partition log (disk throughput, many partitions).
        if (args.Length > 0 && args[0] == "storage")
        {
            Storage.StorageBenchmarks.Run(args[1..]);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
