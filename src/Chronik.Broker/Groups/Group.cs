namespace Chronik.Broker.Groups;

/// <summary>Kafka's group types (ListGroups v5 TypesFilter / GroupType).</summary>
public enum GroupType
{
    /// <summary>JoinGroup/SyncGroup/Heartbeat protocol; also groups that only store offsets.</summary>
    Classic,

    /// <summary>The KIP-848 consumer protocol (ConsumerGroupHeartbeat).</summary>
    Consumer,
}

/// <summary>A group held by a coordinator shard: a classic group or a consumer (KIP-848) group.</summary>
public abstract class Group
{
    protected Group(string groupId)
    {
        GroupId = groupId;
    }

    public string GroupId { get; }

    public abstract GroupType Type { get; }

    /// <summary>Kafka's state name as ListGroups and DescribeGroups print it.</summary>
    public abstract string StateName { get; }

    /// <summary>The protocol type ListGroups reports ("consumer" for consumer groups).</summary>
    public abstract string ProtocolType { get; }

    /// <summary>No members (DeleteGroups and offset expiry need this).</summary>
    public abstract bool IsEmpty { get; }

    /// <summary>The group is being removed; requests get COORDINATOR_NOT_AVAILABLE and retry.</summary>
    public abstract bool IsDead { get; }

    /// <summary>Whether a member subscribes to <paramref name="topic"/> (OffsetDelete refuses those offsets).</summary>
    public abstract bool IsSubscribedTo(string topic);

    /// <summary>The time the group last became empty, for offset expiry; null while it has members.</summary>
    public abstract long? EmptySinceMs { get; }

    public static string TypeName(GroupType type) => type == GroupType.Classic ? "classic" : "consumer";
}
