using System.Net;
using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;
using Chronik.Testing;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using static Chronik.Cluster.Tests.Quorum.QuorumTestNode;

namespace Chronik.Cluster.Tests.Quorum;

/// <summary>The persisted voter configuration (meta/voters): its encoding, and how a single node starts from it.</summary>
public class VoterPersistenceTests
{
    [Fact]
    public async Task The_configuration_keeps_node_ids_and_addresses_as_given()
    {
        using var dir = new TempDirectory("voter-file");
        QuorumPeer[] voters = [new(7, "10.1.2.3", 9093), new(2, "broker-2.example.com", 19093), new(11, "::1", 9095)];
        string file = Path.Combine(dir.Path, "voters");
        using (var storage = new VoterConfigurationStorage(file))
        {
            Assert.False(storage.Exists);
            await storage.WriteAsync(voters, 0, CancellationToken.None);
        }

        // A fresh storage knows the ids only from the file.
        using var reopened = new VoterConfigurationStorage(file);
        var (loaded, version) = await reopened.LoadAsync(CancellationToken.None);
        Assert.Equal(0, version);
        Assert.Equal(voters.OrderBy(v => v.NodeId), loaded);
        Assert.IsType<DnsEndPoint>(loaded.Single(v => v.NodeId == 2).EndPoint);
        Assert.True(reopened.TryGetNodeId(new IPEndPoint(IPAddress.IPv6Loopback, 9095), out int id) && id == 11);
    }

    [Fact]
    public async Task A_corrupt_member_is_refused_not_misread()
    {
        using var dir = new TempDirectory("voter-file");
        string file = Path.Combine(dir.Path, "voters");
        using (var storage = new VoterConfigurationStorage(file))
        {
            await storage.WriteAsync([new QuorumPeer(1, "10.0.0.1", 9093)], 5, CancellationToken.None);
        }

        byte[] bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, bytes[..^3]);
        using var truncated = new VoterConfigurationStorage(file);
        await Assert.ThrowsAsync<MetadataFormatException>(() => truncated.LoadAsync(CancellationToken.None));

        bytes[8 + 4] = 9; // the first member's format byte, after the version (8) and the member count (4)
        await File.WriteAllBytesAsync(file, bytes);
        using var newer = new VoterConfigurationStorage(file);
        Assert.Contains("newer", (await Assert.ThrowsAsync<MetadataFormatException>(() => newer.LoadAsync(CancellationToken.None))).Message);
    }

    [Fact]
    public async Task An_endpoint_without_a_node_id_cannot_be_encoded()
    {
        using var dir = new TempDirectory("voter-file");
        using var storage = new VoterConfigurationStorage(Path.Combine(dir.Path, "voters"));
        IClusterConfiguration<EndPoint> configuration = await ((IClusterConfigurationStorage<EndPoint>)storage).LoadConfigurationAsync();
        configuration = configuration.Add(new IPEndPoint(IPAddress.Loopback, 1234));

        await Assert.ThrowsAsync<InvalidOperationException>(() => ((IClusterConfigurationStorage)storage).SaveConfigurationAsync((IDataTransferObject)configuration, 1).AsTask());
    }

    /// <summary>
    /// A metadata directory made before voters were persisted has a log but no voters file: it is seeded from the
    /// flags and keeps its data. A quorum of one started on another port (a standalone node picks a free one) moves.
    /// </summary>
    [Fact]
    public async Task A_directory_without_a_voter_file_is_seeded_and_a_single_voter_may_move()
    {
        using var dir = new TempDirectory("voter-upgrade");
        int[] ports = FreePort.Next(2);
        string data = dir.Sub("n1");
        var topic = Guid.NewGuid();
        await using (MetadataQuorum before = Create(1, Voters(ports[0]), data))
        {
            await before.StartAsync(CancellationToken.None);
            await Eventually(() => before.IsLeader, "the single voter leads");
            await before.ProposeAsync(TopicWithConfig("kept", topic, "1"), CancellationToken.None);
        }

        string voterFile = Path.Combine(data, "meta", "voters");
        Assert.True(File.Exists(voterFile));
        File.Delete(voterFile);

        await using (MetadataQuorum seeded = Create(1, Voters(ports[0]), data))
        {
            await seeded.StartAsync(CancellationToken.None);
            Assert.True(File.Exists(voterFile));
            Assert.Equal(Voters(ports[0]), seeded.Voters);
            Assert.NotNull(seeded.Current.GetTopic(topic));
            await Eventually(() => seeded.IsLeader, "the seeded single voter leads");
        }

        await using MetadataQuorum moved = Create(1, Voters(ports[1]), data);
        await moved.StartAsync(CancellationToken.None);
        Assert.Equal(Voters(ports[1]), moved.Voters);
        await Eventually(() => moved.IsLeader, "the moved single voter leads");
        Assert.NotNull(moved.Current.GetTopic(topic));
        await moved.ProposeAsync(TopicWithConfig("after-move", Guid.NewGuid(), "1"), CancellationToken.None);
    }

    /// <summary>
    /// The WAL replays committed entries before Raft attaches the voter file; the state machine saves the
    /// membership entries it replays, so a change in the log survives even a lost voter file (as it survives a
    /// crash between commit and the file write).
    /// </summary>
    [Fact]
    public async Task A_voter_change_in_the_log_is_recovered_when_the_voter_file_is_lost()
    {
        using var dir = new TempDirectory("voter-replay");
        int[] ports = FreePort.Next(2);
        var joiner = new QuorumPeer(2, "127.0.0.1", ports[1]);
        string data = dir.Sub("n1");
        await using (MetadataQuorum first = Create(1, Voters(ports[0]), data))
        await using (var second = new MetadataQuorum(new MetadataQuorumOptions
        {
            NodeId = 2,
            Voters = Voters(ports[0]),
            JoinAs = joiner,
            MetadataDirectory = Path.Combine(dir.Sub("n2"), "meta"),
        }))
        {
            await first.StartAsync(CancellationToken.None);
            await second.StartAsync(CancellationToken.None);
            await Eventually(() => first.IsLeader, "the single voter leads");
            Assert.True(await first.AddVoterAsync(joiner, new CancellationTokenSource(Patience).Token));
            Assert.Equal([1, 2], first.Voters.Select(v => v.NodeId));
        }

        File.Delete(Path.Combine(data, "meta", "voters"));
        await using MetadataQuorum restarted = Create(1, Voters(ports[0]), data);
        await restarted.StartAsync(CancellationToken.None);
        Assert.Equal([Voters(ports[0])[0], joiner], restarted.Voters);
    }
}
