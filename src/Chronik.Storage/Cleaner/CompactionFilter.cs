using System.Buffers;
using System.Buffers.Binary;
using Chronik.Protocol.Records;
using Chronik.Storage.Records;
using Chronik.Storage.Segments;

namespace Chronik.Storage.Cleaner;

/// <summary>What compaction does with one stored batch.</summary>
internal enum BatchFate
{
    /// <summary>Copied unchanged.</summary>
    Keep,

    /// <summary>Written anew (fewer records, or a delete horizon set) into the output.</summary>
    Rewrite,

    /// <summary>Removed.</summary>
    Drop,
}

/// <summary>
/// Decides, batch by batch in offset order, what a compaction pass keeps (Kafka's LogCleaner.cleanInto /
/// MemoryRecords.filterTo, with KIP-534 delete horizons):
/// <list type="bullet">
/// <item>a keyed record is kept when no later record of its key was indexed in the <see cref="OffsetMap"/>;
/// keyless records are dropped;</item>
/// <item>a tombstone (null value) is kept until its batch's delete horizon has passed; the first pass that
/// keeps it stamps the horizon (now + delete.retention.ms) into the batch;</item>
/// <item>records of aborted transactions are dropped; those of transactions without a marker in range are kept
/// untouched;</item>
/// <item>a transaction marker is kept while its transaction still has records, and afterwards until its own
/// delete horizon passed ("kept until safe");</item>
/// <item>offsets never change: a rewritten batch keeps its base offset, last offset delta, codec and producer
/// fields; an emptied batch that is its producer's last is kept as an empty header so producer state survives,
/// as in Kafka.</item>
/// </list>
/// Batches whose records cannot be read (malformed, or compressed beyond the decompression bound) are kept whole.
/// </summary>
internal sealed class CompactionFilter
{
    private readonly OffsetMap _map;
    private readonly TransactionOutcomes _transactions;
    private readonly IReadOnlyDictionary<long, long> _lastOffsetOfProducer;
    private readonly long _nowMs;
    private readonly long _deleteRetentionMs;
    private readonly HashSet<long> _transactionsWithRecords = [];

    /// <summary>Whether each record of the current batch is kept, by its position in the batch.</summary>
    private readonly List<bool> _retained = [];

    public CompactionFilter(OffsetMap map, TransactionOutcomes transactions, IReadOnlyDictionary<long, long> lastOffsetOfProducer, long nowMs, long deleteRetentionMs)
    {
        _map = map;
        _transactions = transactions;
        _lastOffsetOfProducer = lastOffsetOfProducer;
        _nowMs = nowMs;
        _deleteRetentionMs = deleteRetentionMs;
    }

    /// <summary>The earliest delete horizon of a batch kept with tombstones or a marker (when the next pass can drop them).</summary>
    public long? EarliestDeleteHorizon { get; private set; }

    public int RecordsDropped { get; private set; }

    /// <summary>Decides the fate of <paramref name="batch"/>; with <see cref="BatchFate.Rewrite"/> the new batch is appended to <paramref name="output"/>.</summary>
    public BatchFate Filter(ReadOnlySpan<byte> batch, in BatchInfo info, IBufferWriter<byte> output)
    {
        var attributes = info.Attributes;
        bool hasHorizon = (attributes & RecordBatchAttributes.DeleteHorizon) != 0;
        long horizon = hasHorizon ? RecordBatchHeader.BaseTimestamp(batch) : -1;
        if (info.IsControl)
        {
            return FilterMarker(batch, info, hasHorizon, horizon, output);
        }

        if (info.IsTransactional)
        {
            var outcome = _transactions.OutcomeOf(info.ProducerId, info.BaseOffset);
            if (outcome == TransactionOutcome.Undecided)
            {
                return BatchFate.Keep;
            }

            if (outcome == TransactionOutcome.Aborted)
            {
                RecordsDropped += Math.Max(info.RecordCount, 0);
                return KeepEmptyIfLastOfProducer(batch, info, output);
            }
        }

        if (!RecordBatchRecords.TryOpen(batch, BatchValidator.MaxUncompressedBytes, out var records))
        {
            return KeepWhole(info);
        }

        using (records)
        {
            return FilterRecords(batch, info, records.Bytes, hasHorizon, horizon, output);
        }
    }

    private BatchFate FilterRecords(ReadOnlySpan<byte> batch, in BatchInfo info, ReadOnlySpan<byte> records, bool hasHorizon, long horizon, IBufferWriter<byte> output)
    {
        _retained.Clear();
        int kept = 0;
        bool tombstoneKept = false;
        var reader = new OrderedRecords(batch, records);
        while (reader.TryReadNext(out var record))
        {
            bool latest = !record.IsKeyNull && (!_map.TryGet(record.Key, out long found) || record.Offset >= found);
            bool expired = record.IsValueNull && hasHorizon && _nowMs >= horizon;
            bool keep = latest && !expired;
            _retained.Add(keep);
            kept += keep ? 1 : 0;
            tombstoneKept |= keep && record.IsValueNull;
        }

        if (reader.Malformed)
        {
            return KeepWhole(info);
        }

        RecordsDropped += _retained.Count - kept;
        if (kept == 0)
        {
            return KeepEmptyIfLastOfProducer(batch, info, output);
        }

        if (info.IsTransactional)
        {
            _transactionsWithRecords.Add(info.ProducerId);
        }

        bool needHorizon = tombstoneKept && !hasHorizon;
        if (tombstoneKept)
        {
            NoteHorizon(needHorizon ? _nowMs + _deleteRetentionMs : horizon);
        }

        if (kept == _retained.Count && !needHorizon)
        {
            return BatchFate.Keep;
        }

        long? deleteHorizon = needHorizon ? _nowMs + _deleteRetentionMs : hasHorizon ? horizon : null;
        WriteBatch(batch, records, deleteHorizon, output);
        return BatchFate.Rewrite;
    }

    private BatchFate FilterMarker(ReadOnlySpan<byte> batch, in BatchInfo info, bool hasHorizon, long horizon, IBufferWriter<byte> output)
    {
        if (!ControlRecords.TryReadBatchType(batch, out var type) || type is not (ControlRecordType.Abort or ControlRecordType.Commit))
        {
            return BatchFate.Keep;
        }

        bool transactionHasRecords = _transactionsWithRecords.Remove(info.ProducerId);
        if (!transactionHasRecords && hasHorizon && _nowMs >= horizon)
        {
            RecordsDropped++;
            return BatchFate.Drop;
        }

        if (hasHorizon)
        {
            NoteHorizon(horizon);
            return BatchFate.Keep;
        }

        if (transactionHasRecords)
        {
            return BatchFate.Keep;
        }

        // The transaction has no records left: start the marker's delete horizon.
        long newHorizon = _nowMs + _deleteRetentionMs;
        NoteHorizon(newHorizon);
        if (!RecordBatchRecords.TryOpen(batch, BatchValidator.MaxUncompressedBytes, out var records))
        {
            return BatchFate.Keep;
        }

        using (records)
        {
            _retained.Clear();
            var reader = new OrderedRecords(batch, records.Bytes);
            while (reader.TryReadNext(out _))
            {
                _retained.Add(true);
            }

            if (reader.Malformed)
            {
                return BatchFate.Keep;
            }

            WriteBatch(batch, records.Bytes, newHorizon, output);
            return BatchFate.Rewrite;
        }
    }

    // A batch kept without looking inside still holds its transaction's records (the marker must stay).
    private BatchFate KeepWhole(in BatchInfo info)
    {
        if (info.IsTransactional)
        {
            _transactionsWithRecords.Add(info.ProducerId);
        }

        return BatchFate.Keep;
    }

    private BatchFate KeepEmptyIfLastOfProducer(ReadOnlySpan<byte> batch, in BatchInfo info, IBufferWriter<byte> output)
    {
        if (info.ProducerId < 0 || !_lastOffsetOfProducer.TryGetValue(info.ProducerId, out long last) || last != info.LastOffset)
        {
            return BatchFate.Drop;
        }

        if (info.RecordCount == 0)
        {
            return BatchFate.Keep;
        }

        // Kafka's writeEmptyHeader: no records, no compression, same offsets, timestamps and producer fields.
        var header = output.GetSpan(RecordBatchHeader.Size)[..RecordBatchHeader.Size];
        batch[..RecordBatchHeader.Size].CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..], RecordBatchHeader.Size - RecordBatchHeader.LogOverhead);
        RecordBatchHeader.SetAttributes(header, info.Attributes & ~RecordBatchAttributes.CompressionMask);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.RecordCountOffset..], 0);
        RecordBatchHeader.UpdateCrc(header);
        output.Advance(RecordBatchHeader.Size);
        return BatchFate.Rewrite;
    }

    /// <summary>
    /// Writes the records of <paramref name="original"/> marked in <see cref="_retained"/> as a new batch with the
    /// original's codec, offsets (base offset and last offset delta), producer fields and timestamp type (Kafka's
    /// MemoryRecords.filterTo). Record timestamps keep their values; with a <paramref name="deleteHorizon"/> the
    /// base timestamp becomes the horizon (KIP-534) and the deltas are rebased on it.
    /// </summary>
    private void WriteBatch(ReadOnlySpan<byte> original, ReadOnlySpan<byte> records, long? deleteHorizon, IBufferWriter<byte> output)
    {
        var attributes = RecordBatchHeader.Attributes(original);
        long baseTimestamp = RecordBatchHeader.BaseTimestamp(original);
        using var builder = new RecordBatchBuilder(RecordBatchHeader.Compression(original))
        {
            BaseOffset = RecordBatchHeader.BaseOffset(original),
            LastOffsetDelta = RecordBatchHeader.LastOffsetDelta(original),
            PartitionLeaderEpoch = RecordBatchHeader.PartitionLeaderEpoch(original),
            IsTransactional = (attributes & RecordBatchAttributes.Transactional) != 0,
            IsControl = (attributes & RecordBatchAttributes.Control) != 0,
            ProducerId = RecordBatchHeader.ProducerId(original),
            ProducerEpoch = RecordBatchHeader.ProducerEpoch(original),
            BaseSequence = RecordBatchHeader.BaseSequence(original),
            LogAppendTime = (attributes & RecordBatchAttributes.LogAppendTime) != 0 ? RecordBatchHeader.MaxTimestamp(original) : null,
            BaseTimestamp = baseTimestamp,
            DeleteHorizonMs = deleteHorizon,
        };
        var reader = RecordReader.ForRecords(original, records);
        for (int i = 0; reader.TryReadNext(out var record) == RecordReadStatus.Record; i++)
        {
            if (_retained[i])
            {
                // The stored delta, not record.Timestamp, which under LogAppendTime reads as the batch's max timestamp.
                builder.Append(record.OffsetDelta, baseTimestamp + record.TimestampDelta, record);
            }
        }

        builder.WriteTo(output);
    }

    private void NoteHorizon(long horizon) => EarliestDeleteHorizon = EarliestDeleteHorizon is { } h ? Math.Min(h, horizon) : horizon;

    /// <summary>
    /// Protocol's <see cref="RecordReader"/> plus the one check a rewrite needs that reading does not: offset deltas
    /// increase and stay within the batch's last offset delta. Storage does not decode records on append, so a
    /// batch with a valid CRC may still break this; such a batch is kept whole rather than rewritten.
    /// </summary>
    private ref struct OrderedRecords
    {
        private readonly int _lastOffsetDelta;
        private RecordReader _reader;
        private int _previousOffsetDelta;

        public OrderedRecords(ReadOnlySpan<byte> batch, ReadOnlySpan<byte> records)
        {
            _reader = RecordReader.ForRecords(batch, records);
            _lastOffsetDelta = RecordBatchHeader.LastOffsetDelta(batch);
            _previousOffsetDelta = -1;
        }

        /// <summary>True when a record did not parse or was out of order; false after a clean end.</summary>
        public bool Malformed { get; private set; }

        public bool TryReadNext(out RecordView record)
        {
            var status = _reader.TryReadNext(out record);
            if (status == RecordReadStatus.Record && record.OffsetDelta > _previousOffsetDelta && record.OffsetDelta <= _lastOffsetDelta)
            {
                _previousOffsetDelta = record.OffsetDelta;
                return true;
            }

            Malformed = status != RecordReadStatus.End;
            return false;
        }
    }
}
