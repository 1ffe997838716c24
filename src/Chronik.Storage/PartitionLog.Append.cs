using System.Buffers;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage.Producers;
using Chronik.Storage.Records;
using Chronik.Storage.Segments;

namespace Chronik.Storage;

/// <summary>A follower append whose first offset is below the log end offset; the fetcher truncates first.</summary>
public sealed class UnexpectedAppendOffsetException(long firstOffset, long logEndOffset)
    : StorageException(ErrorCode.UnknownServerError, $"follower append starts at {firstOffset}, below the log end offset {logEndOffset}")
{
    public long FirstOffset { get; } = firstOffset;

    public long LogEndOffset { get; } = logEndOffset;
}

public sealed partial class PartitionLog
{
    /// <summary>
    /// Phase one of a produce (or coordinator write): validates the v2 batches in <paramref name="batches"/> by
    /// header and CRC, assigns offsets from the log end offset (rewriting only each batch's base offset and
    /// partition leader epoch; with message.timestamp.type=LogAppendTime also its timestamp type, max timestamp
    /// and CRC), and writes them to the active segment (page cache). The caller's memory is not modified.
    /// Returns once the order is fixed, so a connection can pipeline; await
    /// <see cref="WaitForDurabilityAsync"/> with <see cref="AppendResult.LastOffset"/> before acknowledging.
    /// Throws <see cref="StorageException"/> with the Kafka error for invalid input.
    /// <para>
    /// Batches with a producer id are checked against the producer state in the same step (epoch, sequence,
    /// transaction state; see <see cref="Producers.ProducerStateManager"/>): OUT_OF_ORDER_SEQUENCE_NUMBER,
    /// INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE, TRANSACTION_COORDINATOR_FENCED. A client batch that retries one of
    /// its producer's last five batches is not appended: the result carries the original offsets and
    /// <see cref="AppendResult.IsDuplicate"/>. <paramref name="transactionVersion"/> is the transaction version a
    /// coordinator's markers are checked with (KIP-890: 2 requires a bumped epoch); 0 for everything else.
    /// While transaction verification is on (<see cref="LogManagerOptions.TransactionVerificationEnabled"/>), a
    /// transactional batch that opens its producer's transaction here must present the
    /// <paramref name="verification"/> guard <see cref="StartTransactionVerification"/> handed out (INVALID_TXN_STATE
    /// otherwise, KIP-890 part 1).
    /// </para>
    /// </summary>
    public AppendResult Append(ReadOnlyMemory<byte> batches, int leaderEpoch, AppendOrigin origin = AppendOrigin.Client, short transactionVersion = 0, VerificationGuard verification = default)
    {
        if (origin == AppendOrigin.Replication)
        {
            throw new ArgumentException("replicated batches keep their offsets: use AppendAsFollower", nameof(origin));
        }

        var config = Config;
        long now = _services.NowMs;
        var input = batches.Span;
        var info = BatchValidator.ValidateIncoming(batches, config, origin, now);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(input.Length);
        try
        {
            var data = buffer.AsSpan(0, input.Length);
            input.CopyTo(data);
            long logAppendTime = -1;
            long maxTimestamp = info.MaxTimestamp;
            if (config.MessageTimestampType == TimestampType.LogAppendTime)
            {
                logAppendTime = now;
                maxTimestamp = now;
                StampLogAppendTime(data, now);
            }

            lock (_lock)
            {
                ThrowIfClosedLocked();
                long first = LogEndOffset;
                if (_producers.Prepare(data, first, origin, transactionVersion, verification, _services.TransactionVerificationEnabled, out var duplicate))
                {
                    return DuplicateResult(duplicate);
                }

                long next = first;
                int position = 0;
                while (position < data.Length)
                {
                    var batch = data[position..];
                    RecordBatchHeader.SetBaseOffset(batch, next);
                    RecordBatchHeader.SetPartitionLeaderEpoch(batch, leaderEpoch);
                    next += RecordBatchHeader.LastOffsetDelta(batch) + 1L;
                    position += RecordBatchHeader.TotalSize(batch);
                }

                WriteLocked(config, data, maxTimestamp, first, next - 1, now);
                if (leaderEpoch >= 0 && LeaderEpochs.LatestEpoch != leaderEpoch)
                {
                    LeaderEpochs.Assign(leaderEpoch, first);
                }

                Volatile.Write(ref _logEndOffset, next);
                CommitProducerStateLocked();
                AfterAppendLocked(config, info.RecordCount, now);
                _services.Metrics.AppendedBytes.Add(data.Length);
                _services.Metrics.AppendedRecords.Add(info.RecordCount);
                return new AppendResult(first, next - 1, logAppendTime, maxTimestamp, LogStartOffset, info.BatchCount, info.RecordCount, data.Length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A follower's append of batches fetched from the leader: offsets, epochs and timestamps are kept as the
    /// leader assigned them. Each batch is checked (framing, CRC, offsets increasing); the first offset must not
    /// be below the log end offset (<see cref="UnexpectedAppendOffsetException"/>), gaps are allowed (compacted
    /// leaders have them). The leader-epoch cache learns every new epoch from the batches, and producer state
    /// follows them without checks (so a follower that becomes leader knows every producer's sequences).
    /// </summary>
    public AppendResult AppendAsFollower(ReadOnlyMemory<byte> batches)
    {
        var config = Config;
        long now = _services.NowMs;
        var data = batches.Span;
        var info = BatchValidator.ValidateReplicated(batches, out long firstOffset, out long lastOffset);
        lock (_lock)
        {
            ThrowIfClosedLocked();
            if (firstOffset < LogEndOffset)
            {
                throw new UnexpectedAppendOffsetException(firstOffset, LogEndOffset);
            }

            _producers.Prepare(data, assignedFirstOffset: -1, AppendOrigin.Replication, transactionVersion: 0, VerificationGuard.None, verificationRequired: false, out _);
            WriteLocked(config, data, info.MaxTimestamp, firstOffset, lastOffset, now);
            int position = 0;
            while (position < data.Length)
            {
                var batch = data[position..];
                int epoch = RecordBatchHeader.PartitionLeaderEpoch(batch);
                if (epoch >= 0 && (LeaderEpochs.LatestEpoch is not { } latest || epoch > latest))
                {
                    LeaderEpochs.Assign(epoch, RecordBatchHeader.BaseOffset(batch));
                }

                position += RecordBatchHeader.TotalSize(batch);
            }

            Volatile.Write(ref _logEndOffset, lastOffset + 1);
            CommitProducerStateLocked();
            AfterAppendLocked(config, info.RecordCount, now);
            _services.Metrics.AppendedBytes.Add(data.Length);
            _services.Metrics.AppendedRecords.Add(info.RecordCount);
            return new AppendResult(firstOffset, lastOffset, -1, info.MaxTimestamp, LogStartOffset, info.BatchCount, info.RecordCount, data.Length);
        }
    }

    /// <summary>
    /// Records that <paramref name="epoch"/> starts at the current log end offset (a new leader calls this when
    /// it takes over, as Kafka's maybeAssignEpochStartOffset).
    /// </summary>
    public void AssignEpochStartOffset(int epoch)
    {
        lock (_lock)
        {
            LeaderEpochs.Assign(epoch, LogEndOffset);
        }
    }

    private static void StampLogAppendTime(Span<byte> data, long now)
    {
        int position = 0;
        while (position < data.Length)
        {
            var batch = data[position..];
            RecordBatchHeader.SetAttributes(batch, RecordBatchHeader.Attributes(batch) | RecordBatchAttributes.LogAppendTime);
            RecordBatchHeader.SetMaxTimestamp(batch, now);
            RecordBatchHeader.UpdateCrc(batch);
            position += RecordBatchHeader.TotalSize(batch);
        }
    }

    /// <summary>Rolls if needed and writes; an I/O failure takes the log directory offline, as in Kafka.</summary>
    private void WriteLocked(LogConfig config, ReadOnlySpan<byte> data, long maxTimestamp, long firstOffset, long lastOffset, long now)
    {
        try
        {
            MaybeRollLocked(config, data.Length, maxTimestamp, firstOffset, lastOffset, now).Append(data);
        }
        catch (StorageException e) when (e.ErrorCode == ErrorCode.KafkaStorageError)
        {
            _services.ReportFailure(e);
            throw;
        }
        catch (IOException e)
        {
            _services.ReportFailure(e);
            throw new StorageException(ErrorCode.KafkaStorageError, $"appending to {TopicPartition} failed: {e.Message}", e);
        }
    }

    /// <summary>Kafka's shouldRoll: size, age (segment.ms minus jitter), full index, or offsets beyond int32 of the base.</summary>
    private LogSegment MaybeRollLocked(LogConfig config, int bytes, long maxTimestamp, long firstOffset, long lastOffset, long now)
    {
        var segments = Segments;
        var active = segments[^1];
        int size = active.Size;
        bool roll = size > config.SegmentBytes - bytes
            || (size > 0 && active.TimeWaitedForRoll(now, maxTimestamp) > config.SegmentMs - _rollJitterMs)
            || (size > 0 && active.IndexFull)
            || lastOffset - active.BaseOffset > int.MaxValue;
        return roll ? RollLocked(firstOffset, now) : active;
    }

    /// <summary>Starts a new active segment at <paramref name="baseOffset"/>; the old one becomes inactive.</summary>
    private LogSegment RollLocked(long baseOffset, long now)
    {
        var segments = Segments;
        var old = segments[^1];
        LogSegment[] updated;
        if (old.Size == 0)
        {
            // An empty active segment is replaced rather than kept (a follower's first batch may start past it).
            if (old.BaseOffset == baseOffset)
            {
                return old;
            }

            _services.RetireLater(old.Retire(deleteFiles: true), 0);
            updated = [.. segments[..^1]];
        }
        else
        {
            old.OnBecomeInactive();
            updated = segments;
        }

        var segment = LogSegment.Create(Directory, baseOffset, Config, _services.Files, now);
        Volatile.Write(ref _segments, [.. updated, segment]);

        // The snapshot below lets recovery rebuild aborted-transaction entries from here on only: the rolled
        // segment's own entries must be durable first (a no-op unless it recorded aborts since its last sync).
        old.TransactionIndex.Sync();
        SnapshotProducerStateLocked(baseOffset, sync: false);
        _rollJitterMs = NewJitter(Config);
        MarkDirectoryDirty();

        // Kafka flushes a rolled segment right away (in the background); so does a relaxed policy here.
        lock (_flushLock)
        {
            RequestFlushLocked();
        }

        return segment;
    }
}
