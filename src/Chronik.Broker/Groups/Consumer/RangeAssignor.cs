namespace Chronik.Broker.Groups.Consumer;

/// <summary>
/// The "range" server-side assignor (Kafka's RangeAssignor of the consumer protocol): per topic, the
/// subscribed members (in id order) get contiguous ranges — ⌊P/M⌋ partitions each and one more for the
/// first P mod M — so co-partitioned topics line up by partition number; members keep what they already
/// hold up to their quota (sticky), and the rest is handed out in ascending partition order.
/// </summary>
public sealed class RangeAssignor : IConsumerGroupAssignor
{
    public const string AssignorName = "range";

    public static readonly RangeAssignor Instance = new();

    public string Name => AssignorName;

    public IReadOnlyDictionary<string, Assignment> Assign(AssignmentSpec spec)
    {
        var result = new Dictionary<string, List<(Guid, int)>>(StringComparer.Ordinal);
        foreach (string memberId in spec.Members.Keys)
        {
            result[memberId] = [];
        }

        var membersPerTopic = new SortedDictionary<Guid, List<string>>();
        foreach (string memberId in spec.Members.Keys.Order(StringComparer.Ordinal))
        {
            foreach (Guid topicId in spec.Members[memberId].SubscribedTopicIds)
            {
                if (spec.PartitionCounts.ContainsKey(topicId))
                {
                    (membersPerTopic.TryGetValue(topicId, out var list) ? list : membersPerTopic[topicId] = []).Add(memberId);
                }
            }
        }

        foreach (var (topicId, members) in membersPerTopic)
        {
            int partitions = spec.PartitionCounts[topicId];
            int minQuota = partitions / members.Count;
            int withExtra = partitions % members.Count;
            var sticky = new HashSet<int>();
            var unfilled = new List<(string Member, int Remaining)>();
            foreach (string memberId in members)
            {
                List<int> current = [.. spec.Members[memberId].CurrentTarget.Partitions(topicId).Where(p => p < partitions).Order()];
                int retained = Math.Min(current.Count, minQuota);
                for (int i = 0; i < retained; i++)
                {
                    sticky.Add(current[i]);
                    result[memberId].Add((topicId, current[i]));
                }

                int remaining = minQuota - current.Count;
                if (remaining < 0 && withExtra > 0)
                {
                    withExtra--;
                    sticky.Add(current[minQuota]);
                    result[memberId].Add((topicId, current[minQuota]));
                }
                else
                {
                    unfilled.Add((memberId, remaining));
                }
            }

            var unassigned = Enumerable.Range(0, partitions).Where(p => !sticky.Contains(p)).ToList();
            int next = 0;
            foreach (var (memberId, remaining) in unfilled)
            {
                int count = remaining;
                if (withExtra > 0)
                {
                    count++;
                    withExtra--;
                }

                for (int i = 0; i < count && next < unassigned.Count; i++)
                {
                    result[memberId].Add((topicId, unassigned[next++]));
                }
            }
        }

        return result.ToDictionary(e => e.Key, e => Assignment.From(e.Value), StringComparer.Ordinal);
    }
}
