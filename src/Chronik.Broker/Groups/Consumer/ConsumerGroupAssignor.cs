namespace Chronik.Broker.Groups.Consumer;

/// <summary>A member as an assignor sees it: the topic ids it subscribes to, its rack, and its current target assignment.</summary>
public sealed record AssignmentMember(IReadOnlySet<Guid> SubscribedTopicIds, string? RackId, Assignment CurrentTarget);

/// <summary>What a server-side assignor computes from: members (by id) and the partition count of every subscribed topic.</summary>
public sealed record AssignmentSpec(IReadOnlyDictionary<string, AssignmentMember> Members, IReadOnlyDictionary<Guid, int> PartitionCounts);

/// <summary>A server-side assignor of the consumer protocol (KIP-848's ConsumerGroupPartitionAssignor).</summary>
public interface IConsumerGroupAssignor
{
    string Name { get; }

    /// <summary>The new target assignment of every member (members without partitions map to an empty assignment).</summary>
    IReadOnlyDictionary<string, Assignment> Assign(AssignmentSpec spec);
}

/// <summary>The assignors by name (group.consumer.assignors).</summary>
public static class ConsumerGroupAssignors
{
    public static IConsumerGroupAssignor? Find(string name) => name switch
    {
        UniformAssignor.AssignorName => UniformAssignor.Instance,
        RangeAssignor.AssignorName => RangeAssignor.Instance,
        _ => null,
    };
}
