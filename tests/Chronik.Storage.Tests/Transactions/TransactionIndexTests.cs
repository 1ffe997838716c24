using Chronik.Storage.Transactions;
using Chronik.Testing;

namespace Chronik.Storage.Tests.Transactions;

public class TransactionIndexTests : IDisposable
{
    private readonly TempDirectory _directory = new("txnindex");

    private string IndexPath => Path.Combine(_directory.Path, "00000000000000000000.txnindex");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Entries_are_kafkas_34_byte_records_and_read_back_after_reopening()
    {
        var index = new TransactionIndex(IndexPath);
        index.Append(new AbortedTransaction(7, 10, 20, 10));
        index.Append(new AbortedTransaction(8, 15, 30, 31));
        Assert.Equal(2 * TransactionIndex.EntrySize, new FileInfo(IndexPath).Length);
        byte[] bytes = File.ReadAllBytes(IndexPath);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 10 }, bytes[..18]);

        var reopened = new TransactionIndex(IndexPath);
        Assert.Equal([new AbortedTransaction(7, 10, 20, 10), new AbortedTransaction(8, 15, 30, 31)], reopened.Entries);
    }

    [Fact]
    public void Collect_returns_the_overlapping_entries_and_stops_at_one_decided_past_the_range()
    {
        var index = new TransactionIndex(IndexPath);
        index.Append(new AbortedTransaction(1, 0, 5, 3));
        index.Append(new AbortedTransaction(2, 4, 12, 6));
        index.Append(new AbortedTransaction(3, 13, 20, 25));
        index.Append(new AbortedTransaction(4, 26, 30, 31));

        var found = new List<AbortedTransaction>();
        Assert.True(index.Collect(6, 13, found));
        Assert.Equal([2L], found.Select(t => t.ProducerId));

        found.Clear();
        Assert.True(index.Collect(0, 21, found));
        Assert.Equal([1L, 2L, 3L], found.Select(t => t.ProducerId));

        found.Clear();
        Assert.False(index.Collect(31, 40, found));
        Assert.Empty(found);
    }

    [Fact]
    public void Truncation_drops_entries_whose_marker_is_at_or_after_the_offset()
    {
        var index = new TransactionIndex(IndexPath);
        index.Append(new AbortedTransaction(1, 0, 5, 6));
        index.Append(new AbortedTransaction(2, 3, 9, 10));
        index.TruncateTo(9);
        Assert.Equal([new AbortedTransaction(1, 0, 5, 6)], index.Entries);
        Assert.Equal([new AbortedTransaction(1, 0, 5, 6)], new TransactionIndex(IndexPath).Entries);
        index.TruncateTo(0);
        Assert.Empty(index.Entries);
        Assert.False(File.Exists(IndexPath));
        index.Append(new AbortedTransaction(3, 1, 2, 3));
        Assert.Single(new TransactionIndex(IndexPath).Entries);
    }

    [Fact]
    public void A_torn_last_entry_is_dropped_when_the_file_is_loaded()
    {
        var index = new TransactionIndex(IndexPath);
        index.Append(new AbortedTransaction(1, 0, 5, 6));
        index.Append(new AbortedTransaction(2, 3, 9, 10));
        using (var file = File.OpenWrite(IndexPath))
        {
            file.SetLength(TransactionIndex.EntrySize + 11);
        }

        var reopened = new TransactionIndex(IndexPath);
        Assert.Equal([new AbortedTransaction(1, 0, 5, 6)], reopened.Entries);
        Assert.Equal(TransactionIndex.EntrySize, new FileInfo(IndexPath).Length);
        reopened.Append(new AbortedTransaction(4, 7, 11, 12));
        Assert.Equal(2, new TransactionIndex(IndexPath).Entries.Length);
    }

    [Fact]
    public void Entries_out_of_marker_order_are_refused()
    {
        var index = new TransactionIndex(IndexPath);
        index.Append(new AbortedTransaction(1, 0, 5, 6));
        Assert.Throws<InvalidOperationException>(() => index.Append(new AbortedTransaction(2, 0, 4, 6)));
    }

    [Fact]
    public void Garbage_never_throws_past_the_parser()
    {
        var random = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            byte[] garbage = new byte[random.Next(0, 200)];
            random.NextBytes(garbage);
            if (garbage.Length > 1 && random.Next(2) == 0)
            {
                garbage[0] = 0;
                garbage[1] = 0;
            }

            AbortedTransaction[] parsed = TransactionIndex.Parse(garbage);
            Assert.True(parsed.Length <= garbage.Length / TransactionIndex.EntrySize);
        }
    }
}
