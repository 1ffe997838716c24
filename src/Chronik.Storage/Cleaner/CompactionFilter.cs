using System.Buffers;
using System.Buffers.Binary;
using Chronik.Protocol.Records;
using ControlRecordType = Chronik.Storage.Records.ControlRecordType;
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
/// <item>offsets never change: a rewritten batch keeps its base offset and last offset delta; an emptied batch
/// that is its producer's last is kept as an empty header so producer state survives, as in Kafka.</item>
/// </list>
/// Batches whose records cannot be read (compressed without a codec, malformed) are kept whole.
/// </summary>
internal sealed class CompactionFilter
{
    private readonly OffsetMap _map;
    private readonly TransactionOutcomes _transactions;
    private readonly IReadOnlyDictionary<long, long> _lastOffsetOfProducer;
    private readonly long _nowMs;
    private readonly long _deleteRetentionMs;
    private readonly IRecordsCodec? _codec;
    private readonly HashSet<long> _transactionsWithRecords = [];
    private readonly ArrayBufferWriter<byte> _decompressed = new();
    private readonly ArrayBufferWriter<byte> _records = new();
    private readonly List<RecordSlot> _retained = [];

    public CompactionFilter(OffsetMap map, TransactionOutcomes transactions, IReadOnlyDictionary<long, long> lastOffsetOfProducer, long nowMs, long deleteRetentionMs, IRecordsCodec? codec)
    {
        _map = map;
        _transactions = transactions;
        _lastOffsetOfProducer = lastOffsetOfProducer;
        _nowMs = nowMs;
        _deleteRetentionMs = deleteRetentionMs;
        _codec = codec;
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

        if (!BatchRecords.TryGetRecords(batch, _codec, _decompressed, out var records))
        {
            return KeepWhole(info);
        }

        _retained.Clear();
        long baseTimestamp = RecordBatchHeader.BaseTimestamp(batch);
        long maxTimestamp = -1;
        bool tombstoneKept = false;
        int total = 0;
        var cursor = new RecordCursor(records, info.RecordCount);
        while (cursor.TryNext(out var record))
        {
            total++;
            long offset = info.BaseOffset + record.OffsetDelta;
            bool latest = record.HasKey && (!_map.TryGet(record.Key, out long found) || offset >= found);
            bool expired = record.IsTombstone && hasHorizon && _nowMs >= horizon;
            if (latest && !expired)
            {
                _retained.Add(new RecordSlot(record.Start, record.Size, record.BodyStart, record.KeyLengthStart, record.TimestampDelta, record.OffsetDelta));
                tombstoneKept |= record.IsTombstone;
                maxTimestamp = Math.Max(maxTimestamp, baseTimestamp + record.TimestampDelta);
            }
        }

        if (!cursor.Complete)
        {
            return KeepWhole(info);
        }

        RecordsDropped += total - _retained.Count;
        if (_retained.Count == 0)
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

        if (_retained.Count == total && !needHorizon)
        {
            return BatchFate.Keep;
        }

        long newBase = needHorizon ? _nowMs + _deleteRetentionMs : baseTimestamp;
        var newAttributes = needHorizon ? attributes | RecordBatchAttributes.DeleteHorizon : attributes;
        if ((attributes & RecordBatchAttributes.LogAppendTime) != 0 || maxTimestamp < 0)
        {
            maxTimestamp = info.MaxTimestamp;
        }

        WriteBatch(batch, records, baseTimestamp, newBase, newAttributes, maxTimestamp, output);
        return BatchFate.Rewrite;
    }

    private BatchFate FilterMarker(ReadOnlySpan<byte> batch, in BatchInfo info, bool hasHorizon, long horizon, IBufferWriter<byte> output)
    {
        if (ControlRecord.TypeOf(batch) == ControlRecordType.Unknown)
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
        var records = batch[RecordBatchHeader.Size..];
        _retained.Clear();
        var cursor = new RecordCursor(records, info.RecordCount);
        while (cursor.TryNext(out var record))
        {
            _retained.Add(new RecordSlot(record.Start, record.Size, record.BodyStart, record.KeyLengthStart, record.TimestampDelta, record.OffsetDelta));
        }

        if (!cursor.Complete)
        {
            return BatchFate.Keep;
        }

        WriteBatch(batch, records, RecordBatchHeader.BaseTimestamp(batch), newHorizon, info.Attributes | RecordBatchAttributes.DeleteHorizon, info.MaxTimestamp, output);
        return BatchFate.Rewrite;
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

        // Kafka's writeEmptyHeader: no records, no compression, same offsets and producer fields.
        var header = output.GetSpan(RecordBatchHeader.Size)[..RecordBatchHeader.Size];
        batch[..RecordBatchHeader.Size].CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..], RecordBatchHeader.Size - RecordBatchHeader.LogOverhead);
        RecordBatchHeader.SetAttributes(header, info.Attributes & ~RecordBatchAttributes.CompressionMask);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.RecordCountOffset..], 0);
        RecordBatchHeader.UpdateCrc(header);
        output.Advance(RecordBatchHeader.Size);
        return BatchFate.Rewrite;
    }

    private void WriteBatch(ReadOnlySpan<byte> original, ReadOnlySpan<byte> records, long oldBase, long newBase, RecordBatchAttributes attributes, long maxTimestamp, IBufferWriter<byte> output)
    {
        _records.ResetWrittenCount();
        Span<byte> prefix = stackalloc byte[1 + 10 + 5];
        foreach (var slot in _retained)
        {
            var record = records.Slice(slot.Start, slot.Size);
            if (newBase == oldBase)
            {
                _records.Write(record);
                continue;
            }

            // The timestamp delta is relative to the batch's base timestamp, which now holds the horizon.
            long delta = oldBase + slot.TimestampDelta - newBase;
            var rest = records[slot.KeyLengthStart..(slot.Start + slot.Size)];
            prefix[0] = records[slot.BodyStart];
            int prefixLength = 1 + Varint.WriteLong(prefix[1..], delta);
            prefixLength += Varint.WriteLong(prefix[prefixLength..], slot.OffsetDelta);
            int bodyLength = prefixLength + rest.Length;
            var destination = _records.GetSpan(10 + bodyLength);
            int written = Varint.WriteLong(destination, bodyLength);
            prefix[..prefixLength].CopyTo(destination[written..]);
            written += prefixLength;
            rest.CopyTo(destination[written..]);
            _records.Advance(written + rest.Length);
        }

        var compression = BatchRecords.Compression(original);
        ReadOnlySpan<byte> body = _records.WrittenSpan;
        ArrayBufferWriter<byte>? compressed = null;
        if (compression != CompressionType.None)
        {
            compressed = new ArrayBufferWriter<byte>(body.Length / 2 + 64);
            _codec!.Compress(compression, body, compressed);
            body = compressed.WrittenSpan;
        }

        int size = RecordBatchHeader.Size + body.Length;
        var batch = output.GetSpan(size)[..size];
        original[..RecordBatchHeader.Size].CopyTo(batch);
        body.CopyTo(batch[RecordBatchHeader.Size..]);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..], size - RecordBatchHeader.LogOverhead);
        RecordBatchHeader.SetAttributes(batch, attributes);
        RecordBatchHeader.SetBaseTimestamp(batch, newBase);
        RecordBatchHeader.SetMaxTimestamp(batch, maxTimestamp);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.RecordCountOffset..], _retained.Count);
        RecordBatchHeader.UpdateCrc(batch);
        output.Advance(size);
    }

    private void NoteHorizon(long horizon) => EarliestDeleteHorizon = EarliestDeleteHorizon is { } h ? Math.Min(h, horizon) : horizon;

    private readonly record struct RecordSlot(int Start, int Size, int BodyStart, int KeyLengthStart, long TimestampDelta, int OffsetDelta);
}
