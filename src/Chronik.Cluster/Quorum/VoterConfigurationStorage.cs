using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Chronik.Cluster.Metadata;
using DotNext.Buffers;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.Membership;

namespace Chronik.Cluster.Quorum;

/// <summary>
/// The voter configuration of the metadata quorum, persisted in <c>meta/voters</c> (DotNext's file:
/// the configuration's log index, then the encoded members) and replicated as DotNext membership
/// entries in the same WAL as the metadata records.
///
/// Each member is encoded with its Kafka node id next to its Raft endpoint, so the node ids travel
/// with every configuration DotNext replicates (membership log entries, and the configuration sent
/// along with InstallSnapshot) and every node — a restarted or newly added one too — maps a Raft
/// endpoint to its node id from the configuration itself, never from its own flags. Member:
/// <c>format (1) = 0 | node id (int32 BE) | host length (uint16 BE) | host (UTF-8) | port (uint16 BE)</c>.
/// DotNext compares members by endpoint (<see cref="EqualityComparer{EndPoint}.Default"/>), so the host
/// is kept as given: an IP literal decodes to an <see cref="IPEndPoint"/>, a name to a <see cref="DnsEndPoint"/>.
/// </summary>
internal sealed class VoterConfigurationStorage(string fileName) : PersistentClusterConfigurationStorage<EndPoint>(fileName)
{
    private const byte MemberFormat = 0;
    private const int MaxHostBytes = 1024;

    // Every endpoint ever seen with its node id (configurations decoded, bootstrap voters, voters being added).
    private readonly ConcurrentDictionary<string, int> _nodeIds = new(StringComparer.Ordinal);

    public string FileName { get; } = fileName;

    /// <summary>Whether a configuration was ever saved here (false for a new directory and for one made before voters were persisted).</summary>
    public bool Exists => File.Exists(FileName);

    /// <summary>Remembers <paramref name="peer"/>'s node id so that a configuration holding its endpoint can be encoded.</summary>
    public void Register(QuorumPeer peer) => _nodeIds[QuorumPeer.Key(peer.EndPoint)] = peer.NodeId;

    public bool TryGetNodeId(EndPoint endPoint, out int nodeId) => _nodeIds.TryGetValue(QuorumPeer.Key(endPoint), out nodeId);

    /// <summary>The members of <paramref name="configuration"/> as voters, ordered by node id.</summary>
    public IReadOnlyList<QuorumPeer> ToPeers(IClusterConfiguration<EndPoint> configuration)
    {
        var peers = new List<QuorumPeer>(configuration.Members.Count);
        foreach (EndPoint member in configuration.Members)
        {
            int nodeId = TryGetNodeId(member, out int id)
                ? id
                : throw new InvalidOperationException($"the voter configuration holds {member} without a node id");
            peers.Add(QuorumPeer.FromEndPoint(nodeId, member));
        }

        peers.Sort((a, b) => a.NodeId.CompareTo(b.NodeId));
        return peers;
    }

    /// <summary>The configuration in effect here and its version (the log index of the entry that made it; 0 for a seeded one).</summary>
    public async Task<(IReadOnlyList<QuorumPeer> Voters, long Version)> LoadAsync(CancellationToken cancellationToken)
    {
        var (configuration, version) = await ((IClusterConfigurationStorage)this).LoadConfigurationAsync(cancellationToken).ConfigureAwait(false);
        return (ToPeers((IClusterConfiguration<EndPoint>)configuration), version);
    }

    /// <summary>
    /// Writes <paramref name="voters"/> as the configuration at <paramref name="version"/>, replacing the file.
    /// Only for start-up, before Raft runs: seeding a new directory from the bootstrap voters (version 0), or
    /// moving the single voter of a quorum of one to its new address (same version, so no later membership
    /// entry can be mistaken for older).
    /// </summary>
    public async Task WriteAsync(IReadOnlyList<QuorumPeer> voters, long version, CancellationToken cancellationToken)
    {
        IClusterConfiguration<EndPoint> configuration = await ((IClusterConfigurationStorage<EndPoint>)this).LoadConfigurationAsync(cancellationToken).ConfigureAwait(false);
        foreach (EndPoint member in configuration.Members.ToArray())
        {
            configuration = configuration.Remove(member);
        }

        foreach (QuorumPeer voter in voters)
        {
            Register(voter);
            configuration = configuration.Add(voter.EndPoint);
        }

        // DotNext's persistent storage only replaces a file with a newer version; a missing file it writes as given.
        File.Delete(FileName);
        await ((IClusterConfigurationStorage)this).SaveConfigurationAsync((IDataTransferObject)configuration, version, cancellationToken).ConfigureAwait(false);
    }

    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> writer)
    {
        int nodeId = TryGetNodeId(address, out int id)
            ? id
            : throw new InvalidOperationException($"no node id is known for the Raft endpoint {address}");
        QuorumPeer peer = QuorumPeer.FromEndPoint(nodeId, address);
        int hostBytes = Encoding.UTF8.GetByteCount(peer.Host);
        if (hostBytes > MaxHostBytes)
        {
            throw new InvalidOperationException($"the host of voter {peer} is longer than {MaxHostBytes} bytes");
        }

        Span<byte> member = writer.GetSpan(1 + 4 + 2 + hostBytes + 2);
        member[0] = MemberFormat;
        BinaryPrimitives.WriteInt32BigEndian(member[1..], nodeId);
        BinaryPrimitives.WriteUInt16BigEndian(member[5..], (ushort)hostBytes);
        Encoding.UTF8.GetBytes(peer.Host, member.Slice(7, hostBytes));
        BinaryPrimitives.WriteUInt16BigEndian(member[(7 + hostBytes)..], (ushort)peer.Port);
        writer.Advance(1 + 4 + 2 + hostBytes + 2);
    }

    protected override EndPoint Decode(ref SequenceReader reader)
    {
        Need(ref reader, 1 + 4 + 2);
        byte format = reader.ReadByte();
        if (format != MemberFormat)
        {
            throw new MetadataFormatException($"voter configuration member format {format} is newer than this node understands ({MemberFormat})");
        }

        int nodeId = reader.ReadBigEndian<int>();
        int hostBytes = reader.ReadBigEndian<ushort>();
        if (nodeId < 0 || hostBytes is 0 or > MaxHostBytes)
        {
            throw new MetadataFormatException($"voter configuration member with node id {nodeId} and a host of {hostBytes} bytes is corrupt");
        }

        Need(ref reader, hostBytes + 2);
        Span<byte> host = stackalloc byte[hostBytes];
        reader.Read(host);
        int port = reader.ReadBigEndian<ushort>();
        if (port == 0)
        {
            throw new MetadataFormatException($"voter configuration member {nodeId} has port 0");
        }

        var peer = new QuorumPeer(nodeId, Encoding.UTF8.GetString(host), port);
        Register(peer);
        return peer.EndPoint;
    }

    private static void Need(ref SequenceReader reader, int bytes)
    {
        if (reader.RemainingSequence.Length < bytes)
        {
            throw new MetadataFormatException($"voter configuration is truncated: {bytes} more bytes expected, {reader.RemainingSequence.Length} left");
        }
    }
}
