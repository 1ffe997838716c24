using Chronik.Storage.Cleaner;
using Chronik.Storage.Durability;

namespace Chronik.Storage;

/// <summary>Settings of a <see cref="LogManager"/> (broker-level, unlike the per-topic <see cref="LogConfig"/>).</summary>
public sealed record LogManagerOptions
{
    /// <summary>The node's data directory; partition logs live in its logs/ subdirectory.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Config for logs found on disk at start-up until the broker sets theirs (<see cref="ConfigFor"/> wins).</summary>
    public LogConfig DefaultConfig { get; init; } = LogConfig.Default;

    /// <summary>Optional: the config of a log found on disk at start-up.</summary>
    public Func<TopicPartition, LogConfig>? ConfigFor { get; init; }

    /// <summary>Most segment files kept open at once; idle ones are closed first (LRU).</summary>
    public int MaxOpenFiles { get; init; } = 1024;

    public FlushStrategy FlushStrategy { get; init; } = FlushStrategy.Auto;

    /// <summary>Threads issuing the fsyncs of one round in parallel.</summary>
    public int FlushParallelism { get; init; } = 8;

    /// <summary>With <see cref="FlushStrategy.Auto"/>: a round over at least this many files uses one syncfs(2).</summary>
    public int FileSystemSyncThreshold { get; init; } = 16;

    /// <summary>How often recovery points, high watermarks, log start and cleaner offsets are checkpointed (log.flush.offset.checkpoint.interval.ms).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often retention runs (log.retention.check.interval.ms).</summary>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Segments unused this long drop their in-memory indexes.</summary>
    public TimeSpan IdleIndexTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Period of the background housekeeping loop.</summary>
    public TimeSpan HousekeepingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Threads opening partition logs at start-up (num.recovery.threads.per.data.dir, 2 in Kafka 4).</summary>
    public int RecoveryThreads { get; init; } = 2;

    /// <summary>Kafka's producer.id.expiration.ms default (one day).</summary>
    public const long DefaultProducerIdExpirationMs = 86_400_000;

    /// <summary>producer.id.expiration.ms: a producer's state is dropped this long after its last batch (unless a transaction is open).</summary>
    public long ProducerIdExpirationMs { get; init; } = DefaultProducerIdExpirationMs;

    /// <summary>
    /// Kafka's transaction.partition.verification.enable (KIP-890 part 1): a transactional batch that opens its
    /// producer's transaction on a partition must carry the guard of a verification with the transaction
    /// coordinator (<see cref="PartitionLog.StartTransactionVerification"/>). Off by default here, where the log is
    /// used on its own; the broker sets it from its config, whose default is on, as Kafka's.
    /// </summary>
    public bool TransactionVerificationEnabled { get; init; }

    /// <summary>How often expired producers are removed (producer.id.expiration.check.interval.ms, 10 minutes in Kafka).</summary>
    public TimeSpan ProducerIdExpirationCheckInterval { get; init; } = TimeSpan.FromMinutes(10);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public LogCleanerOptions Cleaner { get; init; } = new();
}
