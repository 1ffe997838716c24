namespace Chronik.Cluster.Chaos.Checking;

/// <summary>What a checker violation is about.</summary>
public enum ViolationKind
{
    /// <summary>An acknowledged record is nowhere in its partition.</summary>
    AcknowledgedLost,

    /// <summary>An acknowledged record is stored, but not at the offset it was acknowledged with.</summary>
    AcknowledgedMoved,

    /// <summary>A value that is not a record the workload could have written (corrupt or foreign bytes).</summary>
    Unreadable,

    /// <summary>A record the producer never handed to its client, or of an unknown producer.</summary>
    NeverSent,

    /// <summary>A record stored in a partition other than the one it was sent to.</summary>
    WrongPartition,

    /// <summary>An idempotent producer's records appear in a partition out of the order they were sent.</summary>
    Reordered,

    /// <summary>A record acknowledged before another record was even sent is stored after it in their partition.</summary>
    AcknowledgedOutOfOrder,

    /// <summary>A record of an idempotent producer is stored more than once.</summary>
    Duplicate,

    /// <summary>An offset between log start and high watermark has no record.</summary>
    OffsetGap,

    /// <summary>A record the group consumer read during the run is gone or different at the end.</summary>
    ConsumedRecordChanged,

    /// <summary>OffsetFetch after the run returns an offset that was not the last one committed.</summary>
    CommittedOffsetWrong,

    /// <summary>A committed offset beyond the partition's high watermark.</summary>
    CommittedBeyondHighWatermark,

    /// <summary>A replica's copy of a partition differs from what its leader served (after every replica rejoined the ISR).</summary>
    ReplicaDiverged,

    /// <summary>A producer hit a fatal client error (an idempotent producer's sequence state broke).</summary>
    ProducerFatal,
}

/// <summary>One thing the checker found wrong, with a message precise enough to look up in the broker logs.</summary>
public readonly record struct Violation(ViolationKind Kind, string Message)
{
    public override string ToString() => $"{Kind}: {Message}";
}
