using Chronik.Protocol.Records;
using Chronik.Storage.Transactions;

namespace Chronik.Storage.Tests.Transactions;

/// <summary>
/// The log's aborted-transaction index end to end: ABORT markers appended by a coordinator record the transaction in
/// the segment holding the marker, with the last stable offset of that moment; fetch-side collection spans segments;
/// truncation, retention and crash recovery keep it consistent with the log.
/// </summary>
public class AbortedTransactionIndexTests
{
    private static readonly LogConfig Small = LogConfig.Default with { SegmentBytes = 600, IndexIntervalBytes = 100, FileDeleteDelayMs = 0, RetentionMs = -1 };

    private static byte[] Data(long producerId, int sequence, int count = 2) => TestBatches.Build(
        [.. Enumerable.Range(0, count).Select(i => TestRecord.Of($"k{i}", $"p{producerId}-{sequence + i}-{new string('x', 40)}"))],
        baseTimestamp: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        attributes: RecordBatchAttributes.Transactional,
        producerId: producerId,
        producerEpoch: 0,
        baseSequence: sequence);

    private static byte[] Marker(long producerId, bool commit) => TestBatches.Marker(producerId, 0, commit, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private static long AppendMarker(PartitionLog log, long producerId, bool commit) => log.Append(Marker(producerId, commit), 0, AppendOrigin.Coordinator).LastOffset;

    [Fact]
    public void An_abort_marker_records_the_transaction_with_the_last_stable_offset_it_leaves()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(Data(5, 0), 0);                  // 0-1
        log.Append(Data(6, 0), 0);                  // 2-3, still open when 5 aborts
        log.Append(Data(5, 2), 0);                  // 4-5
        long abort = AppendMarker(log, 5, commit: false);  // 6
        AppendMarker(log, 6, commit: true);         // 7

        Assert.Equal([new AbortedTransaction(5, 0, abort, 2)], log.CollectAbortedTransactions(0, log.LogEndOffset));
        Assert.Empty(log.CollectAbortedTransactions(7, log.LogEndOffset));
        Assert.Equal([new AbortedTransaction(5, 0, abort, 2)], log.CollectAbortedTransactions(3, 4));
    }

    [Fact]
    public void Collection_follows_entries_into_later_segments_and_stops_once_past_the_range()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), Small);
        var expected = new List<AbortedTransaction>();
        for (int t = 0; t < 8; t++)
        {
            long first = log.Append(Data(10 + t, 0, count: 3), 0).FirstOffset;
            log.Append(TestBatches.Values(3, 60), 0);
            long marker = AppendMarker(log, 10 + t, commit: t % 2 == 1);
            if (t % 2 == 0)
            {
                expected.Add(new AbortedTransaction(10 + t, first, marker, marker + 1));
            }
        }

        Assert.True(log.Segments.Length > 3, "the test needs markers in later segments than their data");
        Assert.Equal(expected, log.CollectAbortedTransactions(0, log.LogEndOffset));
        Assert.Equal(expected.Where(a => a.LastOffset >= 10 && a.FirstOffset < 30), log.CollectAbortedTransactions(10, 30));
        Assert.True(log.Segments.Count(s => File.Exists(s.TransactionIndex.Path)) >= 2);
    }

    [Fact]
    public void Truncation_removes_the_entries_of_markers_it_removes()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(Data(5, 0), 0);
        long first = AppendMarker(log, 5, commit: false);
        log.Append(Data(6, 0), 0);
        long second = AppendMarker(log, 6, commit: false);
        Assert.Equal(2, log.CollectAbortedTransactions(0, log.LogEndOffset).Count);

        log.TruncateTo(second);
        Assert.Equal([first], log.CollectAbortedTransactions(0, log.LogEndOffset).Select(a => a.LastOffset));
    }

    [Fact]
    public void A_crash_that_lost_the_index_rebuilds_it_from_the_log()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = fx.Manager.GetOrCreateLog(tp);
        log.Append(Data(5, 0), 0);
        log.Append(Data(6, 0), 0);
        AppendMarker(log, 5, commit: false);
        AppendMarker(log, 6, commit: true);
        log.Append(Data(7, 0), 0);
        AppendMarker(log, 7, commit: false);
        var before = log.CollectAbortedTransactions(0, log.LogEndOffset);
        Assert.Equal(2, before.Count);
        string directory = fx.PartitionDirectory(tp);

        // The crash lost the index and every producer snapshot (none was taken: no roll, no clean shutdown).
        var reopened = fx.ReopenAfterCrash(() =>
        {
            foreach (string file in Directory.GetFiles(directory).Where(f => f.EndsWith(".txnindex", StringComparison.Ordinal) || f.EndsWith(".snapshot", StringComparison.Ordinal)))
            {
                File.Delete(file);
            }
        }).GetOrCreateLog(tp);
        Assert.Equal(before, reopened.CollectAbortedTransactions(0, reopened.LogEndOffset));
    }

    [Fact]
    public void A_clean_restart_keeps_the_index_and_stray_index_files_are_removed()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = fx.Manager.GetOrCreateLog(tp);
        log.Append(Data(5, 0), 0);
        AppendMarker(log, 5, commit: false);
        var before = log.CollectAbortedTransactions(0, log.LogEndOffset);
        string stray = Path.Combine(fx.PartitionDirectory(tp), "00000000000000009999.txnindex");
        var reopened = fx.Reopen().GetOrCreateLog(tp);
        Assert.Equal(before, reopened.CollectAbortedTransactions(0, reopened.LogEndOffset));

        File.WriteAllBytes(stray, new byte[34]);
        fx.ReopenAfterCrash(keepRecoveryPoints: true);
        Assert.False(File.Exists(stray));
    }

    [Fact]
    public void Retention_deletes_the_index_with_its_segment()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), Small);
        log.Append(Data(5, 0, count: 3), 0);
        AppendMarker(log, 5, commit: false);
        string path = log.Segments[0].TransactionIndex.Path;
        while (log.Segments.Length < 3)
        {
            log.Append(TestBatches.Values(3, 60), 0);
        }

        log.UpdateHighWatermark(log.LogEndOffset);
        log.DeleteRecordsBefore(log.Segments[1].BaseOffset);
        log.DeleteOldSegments();
        Assert.False(File.Exists(path));
        Assert.Empty(log.CollectAbortedTransactions(log.LogStartOffset, log.LogEndOffset));
    }
}
