using System.Collections.Immutable;
using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Controller;

/// <summary>How a partition change picks its leader (Kafka's PartitionChangeBuilder.Election).</summary>
public enum LeaderElection
{
    /// <summary>Keep a leader that is still eligible; otherwise the first eligible replica. Eligible: in the ISR and on an active broker.</summary>
    Online,

    /// <summary>The preferred replica (the first) when it is eligible, otherwise as <see cref="Online"/>.</summary>
    Preferred,

    /// <summary>As <see cref="Online"/>; when no ISR member is eligible, the first replica on an active broker leads with an ISR of itself (may lose data).</summary>
    Unclean,
}

/// <summary>
/// Turns a target state of one partition (ISR, replicas, reassignment state, election kind) into the
/// single <see cref="PartitionChangeRecord"/> that reaches it, or none when nothing changes — Kafka's
/// PartitionChangeBuilder. Before electing it completes a reassignment whose target replicas are all
/// in the target ISR (KIP-455): the replicas become the target set and the removed replicas leave the
/// ISR, so the same record that lets the last new replica into the ISR also ends the move. A leader
/// that is no longer a replica, not in the ISR or not on an active broker is replaced.
/// </summary>
public sealed class PartitionChangeBuilder
{
    private readonly MetadataImage _image;
    private readonly Guid _topicId;
    private readonly PartitionRegistration _partition;

    public PartitionChangeBuilder(MetadataImage image, Guid topicId, PartitionRegistration partition)
    {
        _image = image;
        _topicId = topicId;
        _partition = partition;
        TargetIsr = partition.Isr;
        TargetReplicas = partition.Replicas;
        TargetAdding = partition.AddingReplicas;
        TargetRemoving = partition.RemovingReplicas;
    }

    public ImmutableArray<int> TargetIsr { get; set; }

    public ImmutableArray<int> TargetReplicas { get; set; }

    public ImmutableArray<int> TargetAdding { get; set; }

    public ImmutableArray<int> TargetRemoving { get; set; }

    public LeaderElection Election { get; set; } = LeaderElection.Online;

    /// <summary>The change, or null when the target equals the current state.</summary>
    public PartitionChangeRecord? Build()
    {
        ImmutableArray<int> replicas = TargetReplicas;
        ImmutableArray<int> isr = TargetIsr;
        ImmutableArray<int> adding = Normalize(TargetAdding);
        ImmutableArray<int> removing = Normalize(TargetRemoving);
        if (!adding.IsEmpty || !removing.IsEmpty)
        {
            (replicas, isr, adding, removing) = CompleteReassignmentIfPossible(replicas, isr, adding, removing);
        }

        // The ISR only ever holds replicas.
        isr = [.. isr.Where(replicas.Contains)];
        int leader = ElectLeader(replicas, ref isr);

        bool replicasChanged = !replicas.SequenceEqual(_partition.Replicas);
        bool isrChanged = !isr.SequenceEqual(_partition.Isr);
        bool leaderChanged = leader != _partition.Leader;
        bool addingChanged = !adding.SequenceEqual(Normalize(_partition.AddingReplicas));
        bool removingChanged = !removing.SequenceEqual(Normalize(_partition.RemovingReplicas));
        if (!replicasChanged && !isrChanged && !leaderChanged && !addingChanged && !removingChanged)
        {
            return null;
        }

        return new PartitionChangeRecord(
            _topicId,
            _partition.Partition,
            Replicas: replicasChanged ? replicas : null,
            Isr: isrChanged ? isr : null,
            Leader: leaderChanged ? leader : null)
        {
            AddingReplicas = addingChanged ? adding : null,
            RemovingReplicas = removingChanged ? removing : null,
        };
    }

    /// <summary>Whether <paramref name="broker"/> may lead: in <paramref name="isr"/> and registered unfenced.</summary>
    private bool Eligible(int broker, ImmutableArray<int> isr) => isr.Contains(broker) && _image.IsBrokerActive(broker);

    private int ElectLeader(ImmutableArray<int> replicas, ref ImmutableArray<int> isr)
    {
        int current = _partition.Leader;
        if (Election == LeaderElection.Preferred && !replicas.IsEmpty && Eligible(replicas[0], isr))
        {
            return replicas[0];
        }

        if (current != PartitionRegistration.NoLeader && replicas.Contains(current) && Eligible(current, isr))
        {
            return current;
        }

        foreach (int replica in replicas)
        {
            if (Eligible(replica, isr))
            {
                return replica;
            }
        }

        if (Election == LeaderElection.Unclean)
        {
            foreach (int replica in replicas)
            {
                if (_image.IsBrokerActive(replica))
                {
                    isr = [replica];
                    return replica;
                }
            }
        }

        return PartitionRegistration.NoLeader;
    }

    /// <summary>
    /// Kafka's PartitionReassignmentReplicas.maybeCompleteReassignment: once the ISR without the removed
    /// replicas is non-empty and holds every target replica, the move is done.
    /// </summary>
    private static (ImmutableArray<int> Replicas, ImmutableArray<int> Isr, ImmutableArray<int> Adding, ImmutableArray<int> Removing) CompleteReassignmentIfPossible(
        ImmutableArray<int> replicas, ImmutableArray<int> isr, ImmutableArray<int> adding, ImmutableArray<int> removing)
    {
        ImmutableArray<int> targetIsr = [.. isr.Where(r => !removing.Contains(r))];
        ImmutableArray<int> targetReplicas = [.. replicas.Where(r => !removing.Contains(r))];
        if (targetIsr.IsEmpty || targetReplicas.IsEmpty || !targetReplicas.All(targetIsr.Contains))
        {
            return (replicas, isr, adding, removing);
        }

        return (targetReplicas, targetIsr, [], []);
    }

    private static ImmutableArray<int> Normalize(ImmutableArray<int> list) => list.IsDefault ? [] : list;
}
