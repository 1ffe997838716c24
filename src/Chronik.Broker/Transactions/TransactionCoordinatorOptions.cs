using Chronik.Broker.Configs;

namespace Chronik.Broker.Transactions;

/// <summary>
/// The transaction coordinator's settings, with Kafka 4.x's names and defaults. Those in the broker config
/// catalog come from it (<see cref="FromConfigs"/>); the rest keep Kafka's defaults.
/// </summary>
public sealed class TransactionCoordinatorOptions
{
    /// <summary>transaction.state.log.num.partitions: partitions of __transaction_state; fixed once the topic exists.</summary>
    public int TransactionStateLogNumPartitions { get; init; } = 50;

    /// <summary>transaction.state.log.replication.factor.</summary>
    public short TransactionStateLogReplicationFactor { get; init; } = 3;

    /// <summary>transaction.state.log.min.isr: min.insync.replicas of __transaction_state.</summary>
    public int TransactionStateLogMinIsr { get; init; } = 2;

    /// <summary>transaction.state.log.segment.bytes.</summary>
    public int TransactionStateLogSegmentBytes { get; init; } = 104_857_600;

    /// <summary>transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for.</summary>
    public int TransactionMaxTimeoutMs { get; init; } = 900_000;

    /// <summary>transactional.id.expiration.ms: an idle transactional id (no transaction open) is forgotten after this long.</summary>
    public long TransactionalIdExpirationMs { get; init; } = 604_800_000;

    /// <summary>transaction.abort.timed.out.transaction.cleanup.interval.ms: how often open transactions are checked for their timeout.</summary>
    public long AbortTimedOutTransactionsIntervalMs { get; init; } = 10_000;

    /// <summary>transaction.remove.expired.transaction.cleanup.interval.ms: how often idle transactional ids are checked for expiry.</summary>
    public long RemoveExpiredTransactionalIdsIntervalMs { get; init; } = 3_600_000;

    /// <summary>How long the coordinator waits between attempts to write a transaction's markers to a partition.</summary>
    public TimeSpan MarkerRetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The options from the broker's configs.</summary>
    public static TransactionCoordinatorOptions FromConfigs(BrokerConfigs configs) => new()
    {
        TransactionStateLogNumPartitions = configs.GetInt32(BrokerConfigCatalog.TransactionStateLogNumPartitions),
        TransactionStateLogReplicationFactor = configs.GetInt16(BrokerConfigCatalog.TransactionStateLogReplicationFactor),
        TransactionStateLogMinIsr = configs.GetInt32(BrokerConfigCatalog.TransactionStateLogMinIsr),
        TransactionMaxTimeoutMs = configs.GetInt32(BrokerConfigCatalog.TransactionMaxTimeoutMs),
        TransactionalIdExpirationMs = configs.GetInt32(BrokerConfigCatalog.TransactionalIdExpirationMs),
    };
}
