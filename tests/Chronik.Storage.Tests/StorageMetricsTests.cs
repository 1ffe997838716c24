using System.Diagnostics.Metrics;

namespace Chronik.Storage.Tests;

public class StorageMetricsTests
{
    [Fact]
    public async Task Flush_rounds_are_recorded_in_a_histogram_whose_buckets_reach_seconds()
    {
        var recorded = new List<double>();
        IReadOnlyList<double>? buckets = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument is Histogram<double> { Name: "chronik.storage.flush.round.duration" } histogram)
            {
                buckets = histogram.Advice?.HistogramBucketBoundaries;
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (recorded)
            {
                recorded.Add(value);
            }
        });
        listener.Start();

        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        var result = log.Append(TestBatches.Values(1, 100), 0);
        await log.WaitForDurabilityAsync(result.LastOffset).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(buckets);
        Assert.Contains(0.1, buckets);
        Assert.True(buckets![^1] >= 1000, $"the last bucket is {buckets[^1]} ms");
        lock (recorded)
        {
            Assert.NotEmpty(recorded);
            Assert.All(recorded, ms => Assert.True(ms >= 0));
        }
    }
}
