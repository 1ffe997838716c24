using Chronik.Broker.Transactions.Records;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Transactions;

/// <summary>Timeouts, transactional id expiry, DescribeTransactions and ListTransactions.</summary>
public sealed partial class TransactionCoordinatorShard
{
    /// <summary>
    /// Kafka's abortTimedOutTransactions: an ongoing transaction open longer than its transaction.timeout.ms is
    /// aborted under a bumped epoch, which fences its producer (it gets PRODUCER_FENCED / INVALID_PRODUCER_EPOCH
    /// and must initialize again).
    /// </summary>
    public void AbortTimedOutTransactions()
    {
        long now = NowMs;
        foreach (TransactionMetadata metadata in _transactions.Values.ToList())
        {
            // A timeout of Int32.MaxValue marks a distributed two-phase-commit transaction (KIP-939): never timed out.
            if (metadata.State == TransactionState.Ongoing && metadata.TimeoutMs != int.MaxValue && metadata.StartTimestampMs + metadata.TimeoutMs < now)
            {
                Write(metadata, metadata.PrepareFenceAndAbort(now));
                SendMarkersAfterWrite(metadata);
            }
        }

        ScheduleAbortTimedOut();
    }

    /// <summary>
    /// transactional.id.expiration.ms: a transactional id with no transaction in flight, not updated for that
    /// long, is removed (a tombstone in __transaction_state, which compaction then drops).
    /// </summary>
    public void RemoveExpiredTransactionalIds()
    {
        long now = NowMs;
        foreach (TransactionMetadata metadata in _transactions.Values.ToList())
        {
            if (metadata.State.IsExpirationAllowed() && metadata.LastUpdateTimestampMs <= now - _options.TransactionalIdExpirationMs)
            {
                metadata.CheckCanExpire();
                _transactions.Remove(metadata.TransactionalId);
                Effects.Append(new TransactionLogRecord(metadata.TransactionalId, null));
            }
        }

        ScheduleExpireTransactionalIds();
    }

    /// <summary>DescribeTransactions for one id: TRANSACTIONAL_ID_NOT_FOUND when this partition does not know it.</summary>
    public DescribeTransactionsResponse.TransactionStateData Describe(string transactionalId)
    {
        var described = new DescribeTransactionsResponse.TransactionStateData { TransactionalId = transactionalId, TransactionState = "" };
        if (transactionalId.Length == 0)
        {
            described.ErrorCode = (short)ErrorCode.InvalidRequest;
            return described;
        }

        if (Get(transactionalId) is not { } metadata)
        {
            described.ErrorCode = (short)ErrorCode.TransactionalIdNotFound;
            return described;
        }

        described.ProducerId = metadata.ProducerId;
        described.ProducerEpoch = metadata.ProducerEpoch;
        described.TransactionState = metadata.State.Name();
        described.TransactionTimeoutMs = metadata.TimeoutMs;
        described.TransactionStartTimeMs = metadata.StartTimestampMs;
        foreach (var topic in metadata.Partitions.GroupBy(p => p.Topic, StringComparer.Ordinal))
        {
            described.Topics.Add(new DescribeTransactionsResponse.TopicData { Topic = topic.Key, Partitions = [.. topic.Select(p => p.Partition)] });
        }

        return described;
    }

    /// <summary>
    /// ListTransactions over this partition: ids whose state is in <paramref name="states"/> and whose producer id is
    /// in <paramref name="producerIds"/> (each filter ignored when empty), and — with <paramref name="minDurationMs"/>
    /// ≥ 0 (v1, KIP-994) — whose transaction has been open at least that long.
    /// </summary>
    public IEnumerable<ListTransactionsResponse.TransactionStateData> List(IReadOnlySet<TransactionState> states, IReadOnlySet<long> producerIds, long minDurationMs)
    {
        long now = NowMs;
        foreach (TransactionMetadata metadata in _transactions.Values)
        {
            if ((states.Count > 0 && !states.Contains(metadata.State))
                || (producerIds.Count > 0 && !producerIds.Contains(metadata.ProducerId))
                || (minDurationMs >= 0 && (metadata.StartTimestampMs < 0 || now - metadata.StartTimestampMs < minDurationMs)))
            {
                continue;
            }

            yield return new ListTransactionsResponse.TransactionStateData
            {
                TransactionalId = metadata.TransactionalId,
                ProducerId = metadata.ProducerId,
                TransactionState = metadata.State.Name(),
            };
        }
    }

    private void ScheduleAbortTimedOut() =>
        Timers.Schedule(AbortTimedOutKey, NowMs + _options.AbortTimedOutTransactionsIntervalMs, AbortTimedOutTransactions);

    private void ScheduleExpireTransactionalIds() =>
        Timers.Schedule(ExpireIdsKey, NowMs + _options.RemoveExpiredTransactionalIdsIntervalMs, RemoveExpiredTransactionalIds);
}
