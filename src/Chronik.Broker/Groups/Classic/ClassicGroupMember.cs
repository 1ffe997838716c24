using Chronik.Broker.Coordinators;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Groups.Classic;

/// <summary>A protocol a classic member supports, with its metadata (the consumer's subscription).</summary>
public sealed record ClassicProtocol(string Name, byte[] Metadata);

/// <summary>One member of a classic group (Kafka's ClassicGroupMember).</summary>
public sealed class ClassicGroupMember
{
    public ClassicGroupMember(
        string memberId,
        string? groupInstanceId,
        string clientId,
        string clientHost,
        int rebalanceTimeoutMs,
        int sessionTimeoutMs,
        string protocolType,
        IReadOnlyList<ClassicProtocol> protocols,
        long joinSequence)
    {
        MemberId = memberId;
        GroupInstanceId = groupInstanceId;
        ClientId = clientId;
        ClientHost = clientHost;
        RebalanceTimeoutMs = rebalanceTimeoutMs;
        SessionTimeoutMs = sessionTimeoutMs;
        ProtocolType = protocolType;
        Protocols = protocols;
        JoinSequence = joinSequence;
    }

    public string MemberId { get; set; }

    public string? GroupInstanceId { get; }

    public string ClientId { get; set; }

    public string ClientHost { get; set; }

    public int RebalanceTimeoutMs { get; set; }

    public int SessionTimeoutMs { get; set; }

    public string ProtocolType { get; }

    /// <summary>Supported protocols in the member's order of preference.</summary>
    public IReadOnlyList<ClassicProtocol> Protocols { get; set; }

    /// <summary>The assignment the leader gave this member in the current generation (empty before).</summary>
    public byte[] Assignment { get; set; } = [];

    /// <summary>Order in which members joined; the earliest remaining member becomes leader.</summary>
    public long JoinSequence { get; }

    /// <summary>The member's JoinGroup waiting for the join phase to complete.</summary>
    public PendingResponse<JoinGroupResponse>? AwaitingJoin { get; set; }

    /// <summary>Request version of <see cref="AwaitingJoin"/> (the response differs by version).</summary>
    public short AwaitingJoinVersion { get; set; }

    /// <summary>The member's SyncGroup waiting for the leader's assignment.</summary>
    public PendingResponse<SyncGroupResponse>? AwaitingSync { get; set; }

    /// <summary>Joined during the current rebalance without a member id before (KIP-394 new-member timeout applies).</summary>
    public bool IsNew { get; set; }

    public bool IsAwaitingJoin => AwaitingJoin is not null;

    public bool IsAwaitingSync => AwaitingSync is not null;

    public bool IsStatic => GroupInstanceId is not null;

    /// <summary>
    /// Whether an expired heartbeat timer may keep the member: members waiting in a rebalance satisfy it,
    /// except new members (their join can be abandoned by a client that disconnected).
    /// </summary>
    public bool HasSatisfiedHeartbeat => !IsNew && (IsAwaitingJoin || IsAwaitingSync);

    public byte[]? Metadata(string protocol)
    {
        foreach (ClassicProtocol p in Protocols)
        {
            if (p.Name == protocol)
            {
                return p.Metadata;
            }
        }

        return null;
    }

    /// <summary>Same protocols with the same metadata, in the same order (a rejoin without changes).</summary>
    public bool Matches(IReadOnlyList<ClassicProtocol> protocols)
    {
        if (protocols.Count != Protocols.Count)
        {
            return false;
        }

        for (int i = 0; i < protocols.Count; i++)
        {
            if (protocols[i].Name != Protocols[i].Name || !protocols[i].Metadata.AsSpan().SequenceEqual(Protocols[i].Metadata))
            {
                return false;
            }
        }

        return true;
    }
}
