using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Records;
using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups.Runtime;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Broker.Tests.Groups;

/// <summary>
/// Drives a <see cref="GroupCoordinatorShard"/> the way the runtime does, on virtual time: every
/// operation's effects are drained at once (records kept, answers delivered), timers fire as time advances.
/// </summary>
internal sealed class ShardHarness
{
    public ShardHarness(GroupCoordinatorOptions? options = null, int seed = 1, MetadataImage? image = null, FakeTimeProvider? time = null)
    {
        Options = options ?? new GroupCoordinatorOptions { GroupInitialRebalanceDelayMs = 100 };
        Time = time ?? new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        Image = image ?? MetadataImage.Empty;
        Shard = new GroupCoordinatorShard(0, Options, Time, new Random(seed), () => Image);
    }

    public GroupCoordinatorOptions Options { get; }

    public FakeTimeProvider Time { get; }

    public MetadataImage Image { get; set; }

    public GroupCoordinatorShard Shard { get; }

    /// <summary>Every record the shard wrote, in order.</summary>
    public List<CoordinatorRecord> Written { get; } = [];

    public T Run<T>(Func<GroupCoordinatorShard, T> operation)
    {
        T result = operation(Shard);
        Flush();
        return result;
    }

    public void Advance(TimeSpan by)
    {
        long target = Time.GetUtcNow().ToUnixTimeMilliseconds() + (long)by.TotalMilliseconds;
        while (true)
        {
            long? next = Shard.Timers.NextDeadline;
            if (next is null || next > target)
            {
                break;
            }

            long now = Time.GetUtcNow().ToUnixTimeMilliseconds();
            if (next > now)
            {
                Time.Advance(TimeSpan.FromMilliseconds(next.Value - now));
            }

            Shard.RunExpiredTimers();
            Flush();
        }

        long remaining = target - Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (remaining > 0)
        {
            Time.Advance(TimeSpan.FromMilliseconds(remaining));
        }
    }

    public void Flush()
    {
        CoordinatorEffectsBatch<CoordinatorRecord> effects = Shard.Effects.Drain();
        Written.AddRange(effects.Records);
        foreach (PendingResponse response in effects.Responses)
        {
            response.Deliver();
        }
    }

    /// <summary>A fresh shard that replayed everything written so far (what a reload would build).</summary>
    public GroupCoordinatorShard Reloaded()
    {
        var shard = new GroupCoordinatorShard(0, Options, Time, new Random(99), () => Image);
        foreach (CoordinatorRecord record in Written)
        {
            var (key, value) = CoordinatorRecordCodec.Encode(record);
            shard.Replay(CoordinatorRecordCodec.Decode(key, value)!);
        }

        return shard;
    }

    /// <summary>The answer of a long-poll that must already be complete.</summary>
    public static T Done<T>(Task<T> task)
    {
        Assert.True(task.IsCompletedSuccessfully, "the answer is still pending");
        return task.GetAwaiter().GetResult();
    }

    public static GroupRequestContext Context(short version, string clientId = "client") => new(version, clientId, "/127.0.0.1");

    public static JoinGroupRequest Join(string group, string memberId = "", string? instanceId = null, int sessionTimeoutMs = 10_000, int rebalanceTimeoutMs = 30_000, string protocol = "range", byte[]? metadata = null) => new()
    {
        GroupId = group,
        MemberId = memberId,
        GroupInstanceId = instanceId,
        SessionTimeoutMs = sessionTimeoutMs,
        RebalanceTimeoutMs = rebalanceTimeoutMs,
        ProtocolType = "consumer",
        Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = protocol, Metadata = metadata ?? [0, 1] }],
    };

    public static SyncGroupRequest Sync(string group, string memberId, int generation, string? instanceId = null, params (string Member, byte[] Assignment)[] assignments) => new()
    {
        GroupId = group,
        MemberId = memberId,
        GenerationId = generation,
        GroupInstanceId = instanceId,
        Assignments = [.. assignments.Select(a => new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = a.Member, Assignment = a.Assignment })],
    };

    public static HeartbeatRequest Heartbeat(string group, string memberId, int generation, string? instanceId = null) =>
        new() { GroupId = group, MemberId = memberId, GenerationId = generation, GroupInstanceId = instanceId };
}
