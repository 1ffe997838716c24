using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Tests.Controller;

/// <summary>Re-registration after restarts (Kafka's hasValidSession) and UnregisterBroker.</summary>
public class RegistrationTests
{
    private static BrokerRegistrationRequest Registration(int id, Guid incarnation) =>
        new(id, incarnation, [new BrokerEndpoint("PLAINTEXT", "h", 9000 + id)]);

    [Fact]
    public void A_broker_that_shut_down_cleanly_registers_again_at_once()
    {
        var h = new ControllerHarness();
        long epoch = h.AddBroker(1);
        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, epoch, h.Image.Version, WantShutdown: true)));

        var again = h.Commit(h.Brokers.Register(h.Image, Registration(1, Guid.NewGuid())));
        Assert.Equal(ErrorCode.None, again.Error.Code);
        Assert.True(again.BrokerEpoch > epoch);
    }

    [Fact]
    public void A_registered_but_still_fenced_incarnation_does_not_block_the_next_one()
    {
        var h = new ControllerHarness();
        Assert.False(h.Commit(h.Brokers.Register(h.Image, Registration(1, Guid.NewGuid()))).Error.IsError);
        Assert.False(h.Commit(h.Brokers.Register(h.Image, Registration(1, Guid.NewGuid()))).Error.IsError);
    }

    [Fact]
    public void The_controllers_own_broker_takes_over_from_a_killed_incarnation_at_once()
    {
        var local = new LocalBroker(1, Guid.NewGuid());
        var h = new ControllerHarness(localBroker: local);
        h.AddBroker(1);
        h.AddBroker(2);

        // The old incarnation of broker 1 was killed (-9): its session is still valid, but this process holds node 1's Raft identity.
        Assert.Equal(ErrorCode.None, h.Commit(h.Brokers.Register(h.Image, Registration(1, local.Incarnation))).Error.Code);

        // Anyone else must still wait for the old session: another incarnation of broker 2, or a stranger claiming id 1.
        Assert.Equal(ErrorCode.DuplicateBrokerRegistration, h.Brokers.Register(h.Image, Registration(2, Guid.NewGuid())).Response.Error.Code);
        long epoch = h.Image.GetBroker(1)!.BrokerEpoch;
        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, epoch, h.Image.Version)));
        Assert.Equal(ErrorCode.DuplicateBrokerRegistration, h.Brokers.Register(h.Image, Registration(1, Guid.NewGuid())).Response.Error.Code);
    }

    [Fact]
    public void A_new_controller_gives_live_brokers_a_fresh_session_so_a_duplicate_still_waits()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.Time.Advance(TimeSpan.FromSeconds(8));
        h.Brokers.Tracker.Reset(h.Image);
        h.Time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(ErrorCode.DuplicateBrokerRegistration, h.Brokers.Register(h.Image, Registration(1, Guid.NewGuid())).Response.Error.Code);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ErrorCode.None, h.Brokers.Register(h.Image, Registration(1, Guid.NewGuid())).Response.Error.Code);
    }

    [Fact]
    public void Unregistering_a_broker_moves_its_leaderships_and_removes_it()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.AddBroker(2);
        Guid t = h.CreateAssigned("t", [1, 2], [2, 1]);

        Assert.Equal(ErrorCode.None, h.Commit(h.Brokers.Unregister(h.Image, 1)).Code);
        Assert.Null(h.Image.GetBroker(1));
        PartitionRegistration p0 = h.Image.GetPartition(t, 0)!;
        Assert.Equal((2, 1), (p0.Leader, p0.LeaderEpoch));
        Assert.Equal<int>([2], p0.Isr);
        Assert.Equal<int>([2], h.Image.GetPartition(t, 1)!.Isr);

        Assert.Equal(ErrorCode.BrokerIdNotRegistered, h.Brokers.Unregister(h.Image, 1).Response.Code);
        Assert.Equal(ErrorCode.BrokerIdNotRegistered, h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, 1, h.Image.Version)).Response.Error.Code);

        // It may come back as a new registration straight away (no session left to wait for).
        Assert.Equal(ErrorCode.None, h.Brokers.Register(h.Image, Registration(1, Guid.NewGuid())).Response.Error.Code);
    }
}
