namespace Chronik.Broker.Groups.Consumer;

/// <summary>Reconciliation state of a consumer group member (Kafka's MemberState; the byte is persisted).</summary>
public enum MemberState : sbyte
{
    /// <summary>Reconciled with the target assignment.</summary>
    Stable = 0,

    /// <summary>Must revoke partitions before moving to the next epoch.</summary>
    UnrevokedPartitions = 1,

    /// <summary>At the target epoch, waiting for partitions other members have not released yet.</summary>
    UnreleasedPartitions = 2,

    /// <summary>A state written by a newer version; the member is fenced and reconciled from scratch.</summary>
    Unknown = 127,
}
