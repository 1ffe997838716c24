using System.Net;
using System.Net.Sockets;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using Microsoft.Extensions.Time.Testing;
using static Chronik.Cluster.Tests.Quorum.QuorumTestNode;

namespace Chronik.Cluster.Tests.Quorum;

public class SingleVoterQuorumTests
{
    [Fact]
    public async Task A_single_node_registers_itself_serves_topics_and_restores_them_after_a_restart()
    {
        using var dir = new TempDirectory("quorum1");
        var voters = Voters(FreePort.Next());
        MetadataImage beforeStop;

        await using (MetadataQuorum quorum = Create(1, voters, dir.Path))
        {
            Assert.Equal("metadata quorum not started", quorum.NotReadyReason);
            await quorum.StartAsync(CancellationToken.None);
            Assert.Equal(1, await quorum.WaitForLeaderAsync(new CancellationTokenSource(Patience).Token));
            Assert.True(quorum.IsLeader);

            await using var controller = new ControllerService(quorum);
            controller.Start();
            await using var lifecycle = new BrokerLifecycle(quorum, controller,
                new BrokerIdentity(1, [new BrokerEndpoint("PLAINTEXT", "127.0.0.1", 9092)], HttpEndpoint: "http://127.0.0.1:9644"),
                heartbeatInterval: TimeSpan.FromMilliseconds(200));
            Assert.False(lifecycle.Readiness.IsReady);
            lifecycle.Start();
            await Eventually(() => lifecycle.Readiness.IsReady, "the broker is registered and unfenced");

            MetadataImage image = quorum.Current;
            Assert.Equal(22, image.ClusterId!.Length);
            Assert.Equal(1, image.ControllerId);
            Assert.Equal("http://127.0.0.1:9644", image.GetBroker(1)!.HttpEndpoint);

            var validated = await controller.CreateTopicsAsync([new CreatableTopic("dry-run", 3, 1)], validateOnly: true, CancellationToken.None);
            Assert.False(validated[0].Error.IsError);
            Assert.Null(quorum.Current.GetTopic("dry-run"));

            var created = await controller.CreateTopicsAsync(
            [
                new CreatableTopic("orders", 3, 1, Configs: new Dictionary<string, string?> { ["retention.ms"] = "60000" }),
                new CreatableTopic("audit"),
            ], validateOnly: false, CancellationToken.None);
            Assert.All(created, r => Assert.False(r.Error.IsError, r.Error.ToString()));
            var altered = await controller.AlterConfigsAsync(
                [new AlterConfigsResource(ConfigResource.ForBroker(1), [new ConfigChange("log.retention.hours", ConfigOperation.Set, "1")])],
                validateOnly: false, CancellationToken.None);
            Assert.False(altered[0].Error.IsError);
            var ids = await controller.AllocateProducerIdsAsync(1, lifecycle.BrokerEpoch, CancellationToken.None);
            Assert.Equal(0, ids.FirstProducerId);

            await lifecycle.StopAsync(CancellationToken.None);
            beforeStop = quorum.Current;
            Assert.Equal(3, beforeStop.GetTopic("orders")!.Partitions.Count);
            Assert.True(beforeStop.GetBroker(1)!.Fenced, "a controlled shutdown fences the broker");
            await quorum.StopAsync(CancellationToken.None);
        }

        await using (MetadataQuorum restarted = Create(1, voters, dir.Path))
        {
            await restarted.StartAsync(CancellationToken.None);
            MetadataImage image = await restarted.WaitForVersionAsync(beforeStop.Version, new CancellationTokenSource(Patience).Token);

            // Raft may append an empty entry when it elects itself again: compare content at the old version.
            Assert.True(beforeStop.ContentEquals(image.WithVersion(beforeStop.Version)), "the restarted image differs");
            Assert.Equal("60000", image.GetConfig(ConfigResource.ForTopic("orders"), "retention.ms"));
            Assert.Equal("1", image.GetConfig(ConfigResource.ForBroker(1), "log.retention.hours"));
            Assert.NotNull(image.GetTopic("audit"));
            Assert.Equal(1000, image.NextProducerId);
        }
    }

    [Fact]
    public async Task Snapshots_compact_the_log_and_a_restart_restores_from_them()
    {
        using var dir = new TempDirectory("quorum-snap");
        var voters = Voters(FreePort.Next());
        var time = new FakeTimeProvider();
        string meta = Path.Combine(dir.Path, "meta");
        string chunks = Path.Combine(meta, "wal", "data");
        string snapshots = Path.Combine(meta, "snapshots");
        string padding = new('x', 400); // ~0.5 KiB entries in 4 KiB chunks: the burst spans several chunks
        MetadataImage beforeStop;
        long snapshotIndex;

        await using (MetadataQuorum quorum = Create(1, voters, dir.Path, snapshotInterval: 5, walChunkSize: 4096, time))
        {
            await quorum.StartAsync(CancellationToken.None);
            await quorum.WaitForLeaderAsync(new CancellationTokenSource(Patience).Token);
            for (int i = 0; i < 60; i++)
            {
                await quorum.ProposeAsync(TopicWithConfig($"topic-{i}", Guid.NewGuid(), $"{i}{padding}"), CancellationToken.None);
            }

            // A snapshot is published once the entry after it is applied, so the newest one is at most
            // one interval (5 entries) behind the last applied entry, and never the last entry itself.
            beforeStop = quorum.Current;
            snapshotIndex = quorum.SnapshotIndex;
            Assert.InRange(snapshotIndex, beforeStop.Version - 5, beforeStop.Version - 1);

            // No more writes: only the periodic compaction wakes the WAL now. Each poll is one tick.
            await Eventually(
                () =>
                {
                    time.Advance(CompactionInterval);
                    return !File.Exists(Path.Combine(chunks, "0")) && SnapshotFiles(snapshots).Length == 1;
                },
                "the WAL drops the chunks and the older snapshots the newest snapshot covers");

            // What is left is the tail after the snapshot (5 entries at most, in at most 2 chunks) and that snapshot.
            string[] remaining = Directory.GetFiles(chunks);
            Assert.InRange(remaining.Length, 1, 2);
            Assert.All(remaining, chunk => Assert.True(uint.Parse(Path.GetFileName(chunk)) > 0, $"chunk {chunk} is covered by the snapshot"));
            Assert.StartsWith($"{snapshotIndex}-", Path.GetFileName(SnapshotFiles(snapshots)[0]));
            await quorum.StopAsync(CancellationToken.None);
        }

        // A snapshot still being written when a node stops stays behind as a temp file; a restart removes it.
        string unfinished = Path.Combine(snapshots, "unfinished.tmp");
        await File.WriteAllTextAsync(unfinished, "partial snapshot");

        await using (MetadataQuorum restarted = Create(1, voters, dir.Path, snapshotInterval: 5, walChunkSize: 4096, time))
        {
            await restarted.StartAsync(CancellationToken.None);
            Assert.False(File.Exists(unfinished), "the unfinished snapshot was not deleted");

            // The entries before the snapshot are gone from the WAL: the image can only come from snapshot + tail.
            Assert.True(restarted.SnapshotIndex >= snapshotIndex, $"restored from snapshot {restarted.SnapshotIndex}, expected {snapshotIndex}");
            MetadataImage image = await restarted.WaitForVersionAsync(beforeStop.Version, new CancellationTokenSource(Patience).Token);
            Assert.True(beforeStop.ContentEquals(image.WithVersion(beforeStop.Version)), "the image restored from snapshot + log differs");
            Assert.Equal(60, image.Topics.Count);
            Assert.Equal($"59{padding}", image.GetConfig(ConfigResource.ForTopic("topic-59"), "retention.ms"));
        }
    }

    /// <summary>Completed snapshots (SimpleStateMachine names them index-term; unfinished ones are *.tmp).</summary>
    private static string[] SnapshotFiles(string snapshots) => Directory.GetFiles(snapshots, "*-*");

    [Fact]
    public async Task Waiters_and_watchers_see_each_new_version()
    {
        using var dir = new TempDirectory("quorum-watch");
        await using MetadataQuorum quorum = Create(1, Voters(FreePort.Next()), dir.Path);
        await quorum.StartAsync(CancellationToken.None);
        await quorum.WaitForLeaderAsync(new CancellationTokenSource(Patience).Token);

        long next = quorum.Current.Version + 1;
        Task<MetadataImage> waiter = quorum.WaitForVersionAsync(next, CancellationToken.None);
        var changed = new List<long>();
        quorum.ImageChanged += image => { lock (changed) { changed.Add(image.Version); } };
        using var watchCancel = new CancellationTokenSource(Patience);
        await using var watch = quorum.WatchAsync(watchCancel.Token).GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync());

        var topic = Guid.NewGuid();
        long offset = await quorum.ProposeAsync(TopicWithConfig("w", topic, "1"), CancellationToken.None);
        Assert.Equal(offset, quorum.Current.Version);
        Assert.NotNull(quorum.Current.GetTopic(topic));
        Assert.True((await waiter).Version >= next);
        while (watch.Current.Version < offset)
        {
            Assert.True(await watch.MoveNextAsync());
        }

        Assert.NotNull(watch.Current.GetTopic("w"));
        lock (changed)
        {
            Assert.Contains(offset, changed);
        }
    }

    [Fact]
    public async Task Expired_broker_sessions_are_fenced_by_the_controller()
    {
        using var dir = new TempDirectory("quorum-fence");
        await using MetadataQuorum quorum = Create(1, Voters(FreePort.Next()), dir.Path);
        await quorum.StartAsync(CancellationToken.None);
        await quorum.WaitForLeaderAsync(new CancellationTokenSource(Patience).Token);
        var time = new FakeTimeProvider();
        await using var controller = new ControllerService(quorum, timeProvider: time);

        var reg = await controller.RegisterBrokerAsync(new BrokerRegistrationRequest(7, Guid.NewGuid(), [new BrokerEndpoint("PLAINTEXT", "h", 1)]), CancellationToken.None);
        var beat = await controller.BrokerHeartbeatAsync(new BrokerHeartbeatRequest(7, reg.BrokerEpoch, quorum.Current.Version), CancellationToken.None);
        Assert.False(beat.IsFenced);

        time.Advance(TimeSpan.FromSeconds(8));
        await controller.CheckSessionsAsync(CancellationToken.None);
        Assert.True(quorum.Current.IsBrokerActive(7));
        time.Advance(TimeSpan.FromSeconds(2));
        await controller.CheckSessionsAsync(CancellationToken.None);
        Assert.True(quorum.Current.GetBroker(7)!.Fenced);

        var stale = await controller.BrokerHeartbeatAsync(new BrokerHeartbeatRequest(7, reg.BrokerEpoch + 1, quorum.Current.Version), CancellationToken.None);
        Assert.Equal(ErrorCode.StaleBrokerEpoch, stale.Error.Code);
    }

    [Fact]
    public async Task The_rebalance_pass_returns_leadership_to_preferred_replicas_through_the_quorum()
    {
        using var dir = new TempDirectory("quorum-rebalance");
        await using MetadataQuorum quorum = Create(1, Voters(FreePort.Next()), dir.Path);
        await quorum.StartAsync(CancellationToken.None);
        await quorum.WaitForLeaderAsync(new CancellationTokenSource(Patience).Token);
        var time = new FakeTimeProvider();
        await using var controller = new ControllerService(quorum, timeProvider: time);

        async Task<long> RegisterAsync(int id)
        {
            var reg = await controller.RegisterBrokerAsync(new BrokerRegistrationRequest(id, Guid.NewGuid(), [new BrokerEndpoint("PLAINTEXT", "h", id)]), CancellationToken.None);
            Assert.False((await controller.BrokerHeartbeatAsync(new BrokerHeartbeatRequest(id, reg.BrokerEpoch, quorum.Current.Version), CancellationToken.None)).IsFenced);
            return reg.BrokerEpoch;
        }

        long e1 = await RegisterAsync(1);
        long e2 = await RegisterAsync(2);
        var created = await controller.CreateTopicsAsync([new CreatableTopic("t", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [1, 2] })], false, CancellationToken.None);
        Guid topicId = created[0].TopicId;

        // Broker 1 steps away and back: broker 2 leads; once 1 is in the ISR again the rebalance pass moves leadership back.
        await controller.BrokerHeartbeatAsync(new BrokerHeartbeatRequest(1, e1, quorum.Current.Version, WantFence: true), CancellationToken.None);
        await controller.BrokerHeartbeatAsync(new BrokerHeartbeatRequest(1, e1, quorum.Current.Version), CancellationToken.None);
        Assert.Equal(2, quorum.Current.GetPartition(topicId, 0)!.Leader);
        await controller.RebalanceLeadersAsync(CancellationToken.None);
        Assert.Equal(2, quorum.Current.GetPartition(topicId, 0)!.Leader);

        PartitionRegistration p = quorum.Current.GetPartition(topicId, 0)!;
        var isr = await controller.AlterPartitionAsync(new AlterPartitionRequest(2, e2, [new AlterPartitionItem(topicId, 0, p.LeaderEpoch, p.PartitionEpoch, [new IsrMember(2), new IsrMember(1)])]), CancellationToken.None);
        Assert.False(isr.Partitions.Single().Error.IsError);
        await controller.RebalanceLeadersAsync(CancellationToken.None);
        Assert.Equal(1, quorum.Current.GetPartition(topicId, 0)!.Leader);
    }

    [Fact]
    public async Task The_controllers_own_broker_registers_a_new_incarnation_at_once()
    {
        using var dir = new TempDirectory("quorum-local");
        await using MetadataQuorum quorum = Create(1, Voters(FreePort.Next()), dir.Path);
        await quorum.StartAsync(CancellationToken.None);
        await quorum.WaitForLeaderAsync(new CancellationTokenSource(Patience).Token);
        var incarnation = Guid.NewGuid();
        await using var controller = new ControllerService(quorum, localIncarnation: incarnation);

        // An earlier incarnation of broker 1, unfenced and heard from just now (as after a kill -9 and a quick restart).
        var old = await controller.RegisterBrokerAsync(new BrokerRegistrationRequest(1, Guid.NewGuid(), [new BrokerEndpoint("PLAINTEXT", "h", 1)]), CancellationToken.None);
        Assert.False((await controller.BrokerHeartbeatAsync(new BrokerHeartbeatRequest(1, old.BrokerEpoch, quorum.Current.Version), CancellationToken.None)).IsFenced);

        var stranger = await controller.RegisterBrokerAsync(new BrokerRegistrationRequest(1, Guid.NewGuid(), [new BrokerEndpoint("PLAINTEXT", "h", 1)]), CancellationToken.None);
        Assert.Equal(ErrorCode.DuplicateBrokerRegistration, stranger.Error.Code);
        var local = await controller.RegisterBrokerAsync(new BrokerRegistrationRequest(1, incarnation, [new BrokerEndpoint("PLAINTEXT", "h", 1)]), CancellationToken.None);
        Assert.Equal(ErrorCode.None, local.Error.Code);
        Assert.Equal(incarnation, quorum.Current.GetBroker(1)!.Incarnation);
    }

    [Fact]
    public async Task A_taken_raft_port_is_a_one_line_error()
    {
        using var dir = new TempDirectory("quorum-port");
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        int port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        await using MetadataQuorum quorum = Create(1, Voters(port), dir.Path);
        var error = await Assert.ThrowsAsync<QuorumStartException>(() => quorum.StartAsync(CancellationToken.None));
        Assert.Contains($"Raft port {port}", error.Message);
    }

    [Fact]
    public void Voter_lists_parse_and_bad_configurations_are_refused()
    {
        var voters = QuorumPeer.ParseList("1@a:9093, 2@[::1]:9094,3@10.0.0.3:9095");
        Assert.Equal(new QuorumPeer(2, "::1", 9094), voters[1]);
        Assert.Equal("2@[::1]:9094", voters[1].ToString());
        Assert.Throws<FormatException>(() => QuorumPeer.Parse("a@b:1"));
        Assert.Throws<FormatException>(() => QuorumPeer.Parse("1@b:0"));
        Assert.Throws<FormatException>(() => QuorumPeer.Parse("1@:5"));
        Assert.Throws<FormatException>(() => QuorumPeer.Parse("1b:5"));

        Assert.Contains("not among the voters", Assert.Throws<ArgumentException>(() => Create(4, voters, "d")).Message);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => Create(1, QuorumPeer.ParseList("1@a:1,1@b:2"), "d")).Message);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => Create(1, QuorumPeer.ParseList("1@a:1,2@a:1"), "d")).Message);
        Assert.Contains("compaction interval", Assert.Throws<ArgumentException>(() =>
            new MetadataQuorumOptions { NodeId = 1, Voters = voters, MetadataDirectory = "d", WalCompactionInterval = TimeSpan.Zero }.Validate()).Message);
    }
}
