using Chronik.Protocol.Records;
using Chronik.Storage.Producers;

namespace Chronik.Storage.Tests.Producers;

/// <summary>Batches of idempotent and transactional producers for the producer-state tests.</summary>
internal static class ProducerBatches
{
    /// <summary>
    /// A batch of <paramref name="count"/> records from producer <paramref name="producerId"/> starting at
    /// <paramref name="sequence"/>, timestamped now unless <paramref name="timestamp"/> says otherwise (producer state
    /// expires by batch timestamps: an old one would be dropped at the next load).
    /// </summary>
    public static byte[] Idempotent(long producerId, short epoch, int sequence, int count = 1, bool transactional = false, long? timestamp = null)
    {
        var records = new TestRecord[count];
        for (int i = 0; i < count; i++)
        {
            records[i] = TestRecord.Of($"k{i}", $"p{producerId}-e{epoch}-s{Sequences.Increment(sequence, i)}");
        }

        return TestBatches.Build(
            records,
            baseTimestamp: timestamp ?? Now,
            attributes: transactional ? RecordBatchAttributes.Transactional : RecordBatchAttributes.None,
            producerId: producerId,
            producerEpoch: epoch,
            baseSequence: sequence);
    }

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static byte[] Marker(long producerId, short epoch, bool commit, int coordinatorEpoch = 0, long? timestamp = null)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        ControlRecords.WriteEndTransactionMarkerBatch(output, producerId, epoch, new EndTransactionMarker(commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch), timestamp ?? Now);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The same batch as stored by a leader at <paramref name="baseOffset"/> (what a follower fetches).</summary>
    public static byte[] AtOffset(byte[] batch, long baseOffset, int leaderEpoch = 0)
    {
        byte[] copy = (byte[])batch.Clone();
        RecordBatchHeader.SetBaseOffset(copy, baseOffset);
        RecordBatchHeader.SetPartitionLeaderEpoch(copy, leaderEpoch);
        return copy;
    }
}
