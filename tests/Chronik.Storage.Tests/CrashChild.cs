using System.Globalization;
using Chronik.Storage.Cleaner;

namespace Chronik.Storage.Tests;

/// <summary>
/// The process the crash test kills: it opens the logs (recovering them), then appends deterministic batches
/// to three partitions as fast as the group fsync allows, with a few appends in flight per partition, and
/// prints "ACK partition firstOffset lastOffset" once each append is durable. Small segments and frequent
/// checkpoints make a SIGKILL land in rolls, index writes and checkpoint renames too.
/// </summary>
public static class CrashChild
{
    public const string Verb = "crash-child";
    public const string Topic = "crash";
    public const int Partitions = 3;

    /// <summary>Small segments (below Kafka's 1 MiB minimum, so built directly rather than parsed).</summary>
    public static readonly LogConfig Config = LogConfig.Default with { SegmentBytes = 48 * 1024, IndexIntervalBytes = 700 };

    public static LogManagerOptions Options(string dataDirectory) => new()
    {
        DataDirectory = dataDirectory,
        DefaultConfig = Config,
        CheckpointInterval = TimeSpan.FromMilliseconds(150),
        HousekeepingInterval = TimeSpan.FromMilliseconds(30),
        IdleIndexTimeout = TimeSpan.FromMilliseconds(300),
        MaxOpenFiles = 8,
        Cleaner = new LogCleanerOptions { Enabled = false },
    };

    /// <summary>Partitions written by an idempotent producer (the others get plain batches).</summary>
    public static bool IsIdempotent(int partition) => partition < 2;

    /// <summary>The producer id of an idempotent partition's writer; its sequence numbers equal the offsets.</summary>
    public static long ProducerId(int partition) => 500 + partition;

    /// <summary>
    /// The batch every run appends at <paramref name="offset"/> of <paramref name="partition"/>: 1..12 keyed records
    /// of 0..1500 bytes; on an idempotent partition from producer <see cref="ProducerId"/>, epoch 0, sequence = offset,
    /// timestamped now (producer state expires by batch timestamps).
    /// </summary>
    public static byte[] Content(int partition, long offset)
    {
        // Deterministic across processes (HashCode.Combine is seeded per process).
        var random = new Random(unchecked((int)((partition * 1_000_003L) + (offset * 7919L))));
        int count = random.Next(1, 13);
        var records = new TestRecord[count];
        for (int i = 0; i < count; i++)
        {
            byte[] value = new byte[random.Next(0, 1500)];
            random.NextBytes(value);
            records[i] = new TestRecord(System.Text.Encoding.UTF8.GetBytes($"p{partition}-o{offset + i}"), value, i);
        }

        return IsIdempotent(partition)
            ? TestBatches.Build(records, baseTimestamp: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), producerId: ProducerId(partition), producerEpoch: 0, baseSequence: (int)offset)
            : TestBatches.Build(records);
    }

    public static int Run(string dataDirectory, int seed)
    {
        using var manager = LogManager.Open(Options(dataDirectory));
        var logs = Enumerable.Range(0, Partitions).Select(p => manager.GetOrCreateLog(new TopicPartition(Topic, p))).ToArray();
        Console.WriteLine("READY " + string.Join(' ', logs.Select(l => l.LogEndOffset.ToString(CultureInfo.InvariantCulture))));
        var writers = logs.Select((log, p) => Task.Run(() => WriteAsync(log, p, seed))).ToArray();
        Task.WaitAll(writers);
        return 0;
    }

    private static async Task WriteAsync(PartitionLog log, int partition, int seed)
    {
        var random = new Random((seed * 31) + partition);
        var inFlight = new Queue<(Task Durable, AppendResult Result)>();
        while (true)
        {
            long offset = log.LogEndOffset;
            var result = log.Append(Content(partition, offset), leaderEpoch: 1);
            if (result.FirstOffset != offset)
            {
                throw new InvalidOperationException($"expected offset {offset}, got {result.FirstOffset}");
            }

            inFlight.Enqueue((log.WaitForDurabilityAsync(result.LastOffset).AsTask(), result));
            while (inFlight.Count > random.Next(1, 5))
            {
                var (durable, acked) = inFlight.Dequeue();
                await durable.ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ACK {partition} {acked.FirstOffset} {acked.LastOffset}"));
            }
        }
    }
}
