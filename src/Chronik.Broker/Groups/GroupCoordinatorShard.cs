using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups.Classic;
using Chronik.Broker.Groups.Consumer;
using Chronik.Broker.Groups.Offsets;
using Chronik.Broker.Groups.Records;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Groups;

/// <summary>What a request tells the coordinator besides its body.</summary>
public readonly record struct GroupRequestContext(short ApiVersion, string ClientId, string ClientHost);

/// <summary>
/// All groups and offsets of one __consumer_offsets partition: Kafka's group coordinator shard
/// (GroupMetadataManager + OffsetMetadataManager) as pure decision logic. No I/O and no clock of its own:
/// time comes from the injected <see cref="TimeProvider"/>, randomness (member ids) from a seeded
/// <see cref="Random"/>, deadlines are named entries in <see cref="Timers"/> that the runtime fires, records
/// to persist and answers to deliver later collect in <see cref="Effects"/>. Not thread-safe: the runtime
/// runs one operation at a time per shard.
/// </summary>
/// <remarks>
/// Classic groups change state directly and write a GroupMetadata record whenever Kafka does (a completed
/// SyncGroup, a group becoming empty, a static member replaced). Offsets and consumer (KIP-848) groups
/// change only by replaying the records they write — the same code that loads the partition — so the
/// state served is the state a reload rebuilds.
/// </remarks>
public sealed partial class GroupCoordinatorShard : ICoordinatorShard<CoordinatorRecord>
{
    /// <summary>KIP-394: a new member's join times out after this long if the client went away.</summary>
    public const int NewMemberJoinTimeoutMs = 5 * 60 * 1000;

    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly GroupCoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Func<MetadataImage> _image;

    /// <summary>Position of the next offset record in the shard's write order (stands in for Kafka's record offsets).</summary>
    private long _offsetRecordOrder;

    public GroupCoordinatorShard(int partition, GroupCoordinatorOptions options, TimeProvider time, Random random, Func<MetadataImage> image)
    {
        Partition = partition;
        _options = options;
        _time = time;
        _random = random;
        _image = image;
    }

    /// <summary>The __consumer_offsets partition this shard owns.</summary>
    public int Partition { get; }

    public CoordinatorEffects<CoordinatorRecord> Effects { get; } = new();

    public CoordinatorTimers Timers { get; } = new();

    public OffsetStore Offsets { get; } = new();

    /// <summary>Offsets of producers' transactions that no marker has ended yet.</summary>
    public PendingTransactionalOffsets PendingTransactionalOffsets { get; } = new();

    public IReadOnlyDictionary<string, Group> Groups => _groups;

    public long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public Group? GetGroup(string groupId) => _groups.GetValueOrDefault(groupId);

    /// <summary>Applies one record read from the partition (loading) or written by this shard.</summary>
    public void Replay(CoordinatorRecord record) => Replay(record, null);

    /// <summary>
    /// Applies one record; a record of a producer's transaction (<paramref name="transaction"/> set) is an offset
    /// that becomes visible only with the producer's COMMIT marker.
    /// </summary>
    public void Replay(CoordinatorRecord record, TransactionalProducer? transaction)
    {
        switch (record)
        {
            case OffsetCommitRecord r:
                long order = _offsetRecordOrder++;
                if (transaction is { } producer)
                {
                    if (r.Value is not null)
                    {
                        PendingTransactionalOffsets.Add(producer.ProducerId, r, order);
                    }
                }
                else
                {
                    Offsets.Replay(r, order);
                }

                if (r.Value is not null && !_groups.ContainsKey(r.GroupId))
                {
                    // A group that only commits offsets (assign() consumers, admin tools) is an empty classic group.
                    _groups[r.GroupId] = new ClassicGroup(r.GroupId, NowMs);
                }

                break;

            case GroupMetadataRecord r:
                if (r.Value is null)
                {
                    if (_groups.GetValueOrDefault(r.GroupId) is ClassicGroup)
                    {
                        _groups.Remove(r.GroupId);
                    }
                }
                else
                {
                    _groups[r.GroupId] = ClassicGroup.FromRecord(r.GroupId, r.Value, NowMs);
                }

                break;

            case ConsumerGroupMetadataRecord r:
                if (r.Epoch is null)
                {
                    if (_groups.GetValueOrDefault(r.GroupId) is ConsumerGroup)
                    {
                        _groups.Remove(r.GroupId);
                    }
                }
                else
                {
                    ConsumerGroupFor(r.GroupId).ReplayGroupMetadata(r);
                }

                break;

            case ConsumerGroupMemberMetadataRecord r:
                ConsumerGroupFor(r.GroupId).ReplayMemberMetadata(r.MemberId, r.Value, NowMs);
                break;

            case ConsumerGroupTargetAssignmentMetadataRecord r:
                if (r.AssignmentEpoch is { } epoch)
                {
                    ConsumerGroupFor(r.GroupId).ReplayTargetAssignmentMetadata(epoch);
                }

                break;

            case ConsumerGroupTargetAssignmentMemberRecord r:
                ConsumerGroupFor(r.GroupId).ReplayTargetAssignment(r.MemberId, r.Partitions);
                break;

            case ConsumerGroupCurrentMemberAssignmentRecord r:
                ConsumerGroupFor(r.GroupId).ReplayCurrentAssignment(r.MemberId, r.Value);
                break;
        }
    }

    /// <summary>
    /// After loading: members get a fresh session (they reconnect to the new coordinator), KIP-848
    /// members waiting to revoke get their rebalance timeout, and the offset expiry check starts.
    /// </summary>
    public void OnLoaded()
    {
        foreach (Group group in _groups.Values)
        {
            switch (group)
            {
                case ClassicGroup classic:
                    foreach (ClassicGroupMember member in classic.Members.Values)
                    {
                        ScheduleClassicHeartbeat(classic, member);
                    }

                    break;

                case ConsumerGroup consumer:
                    foreach (ConsumerGroupMember member in consumer.Members.Values)
                    {
                        ScheduleConsumerSessionTimeout(consumer.GroupId, member.MemberId);
                        if (member.State == MemberState.UnrevokedPartitions)
                        {
                            ScheduleConsumerRebalanceTimeout(consumer.GroupId, member.MemberId, member.MemberEpoch, member.RebalanceTimeoutMs);
                        }
                    }

                    break;
            }
        }

        ScheduleOffsetExpiration();
    }

    /// <summary>Runs every timer due now (each may schedule others).</summary>
    public void RunExpiredTimers()
    {
        long now = NowMs;
        while (Timers.TakeExpired(now) is { } callback)
        {
            callback();
        }
    }

    /// <summary>
    /// The partition moved away (or its log failed): every waiting request is answered with
    /// <paramref name="error"/> so clients rediscover the coordinator; timers stop; groups are dropped.
    /// </summary>
    public void Unload(ErrorCode error)
    {
        Timers.Clear();
        foreach (Group group in _groups.Values)
        {
            if (group is ClassicGroup classic)
            {
                foreach (ClassicGroupMember member in classic.Members.Values)
                {
                    member.AwaitingJoin?.Fail(error);
                    member.AwaitingSync?.Fail(error);
                    member.AwaitingJoin = null;
                    member.AwaitingSync = null;
                }

                classic.TransitionTo(ClassicGroupState.Dead, NowMs);
            }
            else if (group is ConsumerGroup consumer)
            {
                consumer.Dead = true;
            }
        }

        _groups.Clear();
        PendingTransactionalOffsets.Clear();
    }

    private ConsumerGroup ConsumerGroupFor(string groupId)
    {
        if (_groups.GetValueOrDefault(groupId) is ConsumerGroup existing)
        {
            return existing;
        }

        // A classic group of that id that became a consumer group (an empty group converts).
        var group = new ConsumerGroup(groupId, NowMs);
        _groups[groupId] = group;
        return group;
    }

    private string NewMemberId(string prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        return $"{prefix}-{new Guid(bytes)}";
    }

    /// <summary>Writes <paramref name="record"/> and applies it (offsets and consumer groups change only this way).</summary>
    private void WriteAndReplay(CoordinatorRecord record)
    {
        Effects.Append(record);
        Replay(record);
    }

    /// <summary>Removes a group created by this request when the request failed before anything joined it.</summary>
    private void RemoveIfUnused(ClassicGroup group)
    {
        if (group.State == ClassicGroupState.Empty && group.Members.Count == 0 && group.PendingJoinMembers.Count == 0 && !Offsets.HasOffsets(group.GroupId)
            && _groups.GetValueOrDefault(group.GroupId) == group && group.GenerationId == 0)
        {
            _groups.Remove(group.GroupId);
        }
    }
}
