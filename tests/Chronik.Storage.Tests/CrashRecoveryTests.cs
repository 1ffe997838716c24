using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Chronik.Protocol.Wire;
using Chronik.Testing;

namespace Chronik.Storage.Tests;

/// <summary>
/// kill -9 at random moments, many times: after each kill the log must reopen to exactly a prefix of what was
/// appended (every batch is the one the writer put at that offset, offsets contiguous, CRCs valid), contain
/// every batch that was acknowledged as durable, and accept appends again. On the partitions an idempotent
/// producer writes, a retry of any of its last five batches after the restart is recognised as a duplicate (its
/// original offsets, nothing appended): producer state was rebuilt from the snapshots and the log.
/// </summary>
public class CrashRecoveryTests
{
    private const int Kills = 24;

    [Fact]
    public async Task Log_reopens_to_a_prefix_holding_every_acknowledged_batch_after_repeated_sigkill()
    {
        using var directory = new TempDirectory("crash");
        var random = new Random(20240601);
        var acked = new long[CrashChild.Partitions];
        Array.Fill(acked, -1);
        int killedBeforeReady = 0;
        int totalAcks = 0;
        var clock = Stopwatch.StartNew();
        for (int run = 0; run < Kills; run++)
        {
            bool early = run % 5 == 4;
            var (acks, sawReady) = await RunAndKillAsync(directory.Path, seed: run, random, early);
            killedBeforeReady += sawReady ? 0 : 1;
            foreach (var (partition, last) in acks)
            {
                acked[partition] = Math.Max(acked[partition], last);
                totalAcks++;
            }

            VerifyAndExtend(directory.Path, acked, run);
        }

        Assert.True(totalAcks > Kills, $"the children acknowledged only {totalAcks} appends in {Kills} runs");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"took {clock.Elapsed}");
    }

    private static async Task<(List<(int Partition, long Last)> Acks, bool SawReady)> RunAndKillAsync(string dataDirectory, int seed, Random random, bool killDuringStartup)
    {
        string dll = typeof(CrashChild).Assembly.Location;
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(CrashChild.Verb);
        start.ArgumentList.Add(dataDirectory);
        start.ArgumentList.Add(seed.ToString(CultureInfo.InvariantCulture));

        var acks = new ConcurrentQueue<(int, long)>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            string[] parts = e.Data.Split(' ');
            if (parts[0] == "READY")
            {
                ready.TrySetResult();
            }
            else if (parts[0] == "ACK" && parts.Length == 4)
            {
                acks.Enqueue((int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture)));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (killDuringStartup)
            {
                await Task.Delay(random.Next(60, 400));
            }
            else
            {
                var finished = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
                Assert.True(ready.Task.IsCompleted, $"child did not start: {string.Join('\n', errors)}");
                await Task.Delay(random.Next(30, 450));
            }

            Assert.False(process.HasExited, $"child exited by itself with {(process.HasExited ? process.ExitCode : 0)}: {string.Join('\n', errors)}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(); // SIGKILL on Unix
            }

            await process.WaitForExitAsync();
        }

        return ([.. acks], ready.Task.IsCompleted);
    }

    private static void VerifyAndExtend(string dataDirectory, long[] acked, int run)
    {
        using var manager = LogManager.Open(CrashChild.Options(dataDirectory));
        for (int p = 0; p < CrashChild.Partitions; p++)
        {
            var log = manager.GetOrCreateLog(new TopicPartition(CrashChild.Topic, p));
            long end = log.LogEndOffset;
            Assert.True(acked[p] < end, $"run {run}: partition {p} lost acknowledged offset {acked[p]} (log end {end})");

            long offset = 0;
            while (offset < end)
            {
                var read = log.Read(offset, 1024 * 1024, long.MaxValue, minOneBatch: true);
                Assert.Equal(ErrorCode.None, read.Error);
                Assert.False(read.IsEmpty, $"run {run}: partition {p} has no batch at {offset} below its end {end}");
                foreach (var batch in BatchParser.Parse(read.ToArray()))
                {
                    Assert.True(batch.CrcValid, $"run {run}: corrupt batch at {batch.BaseOffset} of partition {p}");
                    Assert.Equal(offset, batch.BaseOffset);
                    var expected = BatchParser.Parse(CrashChild.Content(p, offset))[0];
                    Assert.Equal(expected.Records.Count, batch.Records.Count);
                    for (int i = 0; i < expected.Records.Count; i++)
                    {
                        Assert.Equal(offset + i, batch.Records[i].Offset);
                        Assert.Equal(expected.Records[i].Key, batch.Records[i].Key);
                        Assert.Equal(expected.Records[i].Value, batch.Records[i].Value);
                    }

                    offset = batch.LastOffset + 1;
                }
            }

            Assert.Equal(end, offset);
            if (CrashChild.IsIdempotent(p))
            {
                VerifyRetriesAreDuplicates(log, run, p);
            }

            // The log takes appends again, and they are durable before the next child starts.
            var result = log.Append(CrashChild.Content(p, end), leaderEpoch: 1);
            Assert.Equal(end, result.FirstOffset);
            log.WaitForDurabilityAsync(result.LastOffset).AsTask().Wait(TimeSpan.FromSeconds(30));
            acked[p] = Math.Max(acked[p], result.LastOffset);
        }
    }

    private static void VerifyRetriesAreDuplicates(PartitionLog log, int run, int partition)
    {
        long end = log.LogEndOffset;
        var last = new List<ParsedBatch>();
        long offset = Math.Max(0, end - 200);
        while (offset < end)
        {
            foreach (var batch in BatchParser.Parse(log.Read(offset, 1024 * 1024, long.MaxValue, minOneBatch: true).ToArray()))
            {
                last.Add(batch);
                offset = batch.LastOffset + 1;
            }
        }

        foreach (var batch in last.TakeLast(5))
        {
            var retry = log.Append(batch.Bytes, leaderEpoch: 1);
            Assert.True(retry.IsDuplicate, $"run {run}: partition {partition}: the retry of the batch at {batch.BaseOffset} was appended again at {retry.FirstOffset}");
            Assert.Equal((batch.BaseOffset, batch.LastOffset), (retry.FirstOffset, retry.LastOffset));
        }

        Assert.Equal(end, log.LogEndOffset);
    }
}
