namespace Chronik.Broker.Groups.Consumer;

/// <summary>
/// The "uniform" assignor (Kafka's default server-side assignor): spreads all subscribed partitions as
/// evenly as subscriptions allow, and keeps each member's current partitions where it can (sticky), so a
/// membership change moves as few partitions as possible. Members are processed in id order, so the
/// result is deterministic.
/// </summary>
/// <remarks>
/// Steps: (1) every member keeps the partitions of its current target that still exist and that it still
/// subscribes to, up to its fair share (members of a homogeneous group: ⌊P/M⌋, and ⌈P/M⌉ for the first
/// P mod M members that already hold that many); (2) unassigned partitions go, topic by topic with the
/// topics fewest members subscribe to first, to the eligible member holding the fewest partitions;
/// (3) while some member holds two or more partitions more than another member eligible for one of them,
/// one partition moves. Step 3 terminates because the sum of squared loads strictly decreases.
/// </remarks>
public sealed class UniformAssignor : IConsumerGroupAssignor
{
    public const string AssignorName = "uniform";

    public static readonly UniformAssignor Instance = new();

    public string Name => AssignorName;

    public IReadOnlyDictionary<string, Assignment> Assign(AssignmentSpec spec)
    {
        List<string> memberIds = [.. spec.Members.Keys.Order(StringComparer.Ordinal)];
        var owned = memberIds.ToDictionary(id => id, _ => new List<(Guid Topic, int Partition)>(), StringComparer.Ordinal);
        if (memberIds.Count == 0)
        {
            return new Dictionary<string, Assignment>();
        }

        // Eligible members per topic.
        var eligible = new Dictionary<Guid, List<string>>();
        foreach (string memberId in memberIds)
        {
            foreach (Guid topicId in spec.Members[memberId].SubscribedTopicIds)
            {
                if (spec.PartitionCounts.ContainsKey(topicId))
                {
                    (eligible.TryGetValue(topicId, out var list) ? list : eligible[topicId] = []).Add(memberId);
                }
            }
        }

        int total = eligible.Keys.Sum(t => spec.PartitionCounts[t]);
        int minQuota = total / memberIds.Count;
        int extras = total % memberIds.Count;
        var taken = new HashSet<(Guid, int)>();

        // (1) Sticky retention up to the fair share.
        foreach (string memberId in memberIds)
        {
            AssignmentMember member = spec.Members[memberId];
            var keep = member.CurrentTarget.All()
                .Where(tp => member.SubscribedTopicIds.Contains(tp.TopicId) && spec.PartitionCounts.TryGetValue(tp.TopicId, out int count) && tp.Partition < count)
                .ToList();
            int quota = minQuota;
            if (keep.Count > minQuota && extras > 0)
            {
                quota++;
                extras--;
            }

            foreach (var tp in keep.Take(quota))
            {
                if (taken.Add(tp))
                {
                    owned[memberId].Add(tp);
                }
            }
        }

        // (2) Unassigned partitions to the least loaded eligible member, scarce topics first.
        foreach (var (topicId, members) in eligible.OrderBy(e => e.Value.Count).ThenBy(e => e.Key))
        {
            for (int partition = 0; partition < spec.PartitionCounts[topicId]; partition++)
            {
                if (taken.Contains((topicId, partition)))
                {
                    continue;
                }

                string target = members.MinBy(m => (owned[m].Count, m), LoadComparer.Instance)!;
                owned[target].Add((topicId, partition));
                taken.Add((topicId, partition));
            }
        }

        // (3) Balance: move one partition at a time from an overloaded member to an eligible lighter one.
        bool moved = true;
        while (moved)
        {
            moved = false;
            foreach (string heavy in memberIds.OrderByDescending(m => owned[m].Count).ThenBy(m => m, StringComparer.Ordinal))
            {
                foreach (var tp in owned[heavy].OrderByDescending(tp => tp.Partition).ThenBy(tp => tp.Topic))
                {
                    string? light = eligible[tp.Topic]
                        .Where(m => owned[m].Count + 1 < owned[heavy].Count)
                        .MinBy(m => (owned[m].Count, m), LoadComparer.Instance);
                    if (light is not null)
                    {
                        owned[heavy].Remove(tp);
                        owned[light].Add(tp);
                        moved = true;
                        break;
                    }
                }

                if (moved)
                {
                    break;
                }
            }
        }

        return owned.ToDictionary(e => e.Key, e => Assignment.From(e.Value), StringComparer.Ordinal);
    }

    private sealed class LoadComparer : IComparer<(int Count, string Member)>
    {
        public static readonly LoadComparer Instance = new();

        public int Compare((int Count, string Member) x, (int Count, string Member) y) =>
            x.Count != y.Count ? x.Count.CompareTo(y.Count) : string.CompareOrdinal(x.Member, y.Member);
    }
}
