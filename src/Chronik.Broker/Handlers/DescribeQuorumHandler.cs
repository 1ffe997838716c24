using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DescribeQuorum (key 55), v0-2 (KIP-595, KIP-836, KIP-853).
/// Behavior: describes the metadata quorum — Kafka's partition __cluster_metadata-0 (any other partition:
/// UNKNOWN_TOPIC_OR_PARTITION) — from this node's view: the leader it knows (-1 during an election), the
/// Raft term as leader epoch, the committed index as high watermark, and the voters of the configuration
/// applied on this node (they change with AddRaftVoter / RemoveRaftVoter). Every node answers (Kafka
/// forwards to the controller); the log end of a voter is known only for this node itself (-1 for the
/// others: DotNext does not expose the leader's per-follower replication state). The only observer listed
/// is this node itself while it is not a voter (started to join and not added yet, or removed): other
/// nodes do not know of non-voters. v2 lists each voter's Raft address as listener CONTROLLER (what
/// AddRaftVoter takes) followed by its registered Kafka listeners, and leaves directory ids zero.
/// Version notes: v1 last fetch / caught-up timestamps (-1: unknown); v2 error messages, directory ids, nodes.
/// </summary>
public sealed class DescribeQuorumHandler(BrokerNode broker) : ApiHandler<DescribeQuorumRequest, DescribeQuorumResponse>
{
    private const string MetadataTopic = "__cluster_metadata";

    public override ApiKey ApiKey => ApiKey.DescribeQuorum;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override ValueTask<DescribeQuorumResponse?> HandleAsync(RequestContext context, DescribeQuorumRequest request)
    {
        var response = new DescribeQuorumResponse { ErrorMessage = null };
        QuorumDescription quorum = broker.Quorum.Describe();
        foreach (DescribeQuorumRequest.TopicData topic in request.Topics)
        {
            var topicData = new DescribeQuorumResponse.TopicData { TopicName = topic.TopicName };
            foreach (DescribeQuorumRequest.PartitionData partition in topic.Partitions)
            {
                topicData.Partitions.Add(topic.TopicName == MetadataTopic && partition.PartitionIndex == 0
                    ? Describe(quorum)
                    : new DescribeQuorumResponse.PartitionData
                    {
                        PartitionIndex = partition.PartitionIndex,
                        ErrorCode = (short)ErrorCode.UnknownTopicOrPartition,
                        ErrorMessage = $"{topic.TopicName}-{partition.PartitionIndex} is not the metadata log partition {MetadataTopic}-0",
                        LeaderId = -1,
                        LeaderEpoch = -1,
                        HighWatermark = -1,
                    });
            }

            response.Topics.Add(topicData);
        }

        MetadataImage image = broker.Image;
        foreach (QuorumPeer voter in quorum.Voters)
        {
            var node = new DescribeQuorumResponse.Node { NodeId = voter.NodeId };
            node.Listeners.Add(new DescribeQuorumResponse.Listener { Name = RaftVoterDecisions.ControllerListenerName, Host = voter.Host, Port = checked((ushort)voter.Port) });
            foreach (BrokerEndpoint endpoint in image.GetBroker(voter.NodeId)?.Endpoints ?? [])
            {
                node.Listeners.Add(new DescribeQuorumResponse.Listener { Name = endpoint.Name, Host = endpoint.Host, Port = checked((ushort)endpoint.Port) });
            }

            response.Nodes.Add(node);
        }

        return new(response);
    }

    private DescribeQuorumResponse.PartitionData Describe(QuorumDescription quorum) => new()
    {
        PartitionIndex = 0,
        ErrorMessage = null,
        LeaderId = quorum.LeaderNodeId ?? -1,
        LeaderEpoch = (int)Math.Min(quorum.Term, int.MaxValue),
        HighWatermark = quorum.CommittedIndex,
        CurrentVoters = quorum.Voters.Select(v => new DescribeQuorumResponse.ReplicaState
        {
            ReplicaId = v.NodeId,
            LogEndOffset = v.NodeId == broker.NodeId ? quorum.LastIndex : -1,
        }).ToList(),
        Observers = quorum.IsVoter ? [] : [new DescribeQuorumResponse.ReplicaState { ReplicaId = broker.NodeId, LogEndOffset = quorum.LastIndex }],
    };
}
