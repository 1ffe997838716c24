using System.Text;
using Chronik.Broker.Groups.Classic;
using Chronik.Broker.Groups.Consumer;
using Chronik.Broker.Groups.Records;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Groups;

/// <summary>OffsetCommit, OffsetFetch, OffsetDelete and offset expiry (offsets.retention.minutes).</summary>
public sealed partial class GroupCoordinatorShard
{
    private const string OffsetExpirationKey = "offsets/expiration";

    public OffsetCommitResponse OffsetCommit(GroupRequestContext context, OffsetCommitRequest request)
    {
        int generation = context.ApiVersion >= 1 ? request.GenerationIdOrMemberEpoch : -1;
        string memberId = context.ApiVersion >= 1 ? request.MemberId : "";
        string? instanceId = context.ApiVersion >= 7 ? request.GroupInstanceId : null;
        ErrorCode groupError = ValidateOffsetCommit(context.ApiVersion, request.GroupId, generation, memberId, instanceId, transactional: false);
        long now = NowMs;
        long expireTimestamp = context.ApiVersion is >= 2 and <= 4 && request.RetentionTimeMs >= 0 ? now + request.RetentionTimeMs : -1;
        var response = new OffsetCommitResponse();
        foreach (OffsetCommitRequest.OffsetCommitRequestTopic topic in request.Topics)
        {
            var topicResponse = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            foreach (OffsetCommitRequest.OffsetCommitRequestPartition partition in topic.Partitions)
            {
                ErrorCode error = groupError;
                if (error == ErrorCode.None && partition.CommittedMetadata is { } metadata && Encoding.UTF8.GetByteCount(metadata) > _options.OffsetMetadataMaxBytes)
                {
                    error = ErrorCode.OffsetMetadataTooLarge;
                }

                if (error == ErrorCode.None)
                {
                    var value = new OffsetCommitValue(partition.CommittedOffset, partition.CommittedLeaderEpoch, partition.CommittedMetadata ?? "", now, expireTimestamp);
                    WriteAndReplay(new OffsetCommitRecord(request.GroupId, topic.Name, partition.PartitionIndex, value));
                }

                topicResponse.Partitions.Add(new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = partition.PartitionIndex, ErrorCode = (short)error });
            }

            response.Topics.Add(topicResponse);
        }

        return response;
    }

    /// <summary>
    /// Kafka's validateOffsetCommit for both group types (generation / member epoch fencing). A transactional
    /// commit (TxnOffsetCommit) is not refused for a rebalance in progress, nor for naming no member in a group
    /// that has members (older transactional producers send no group metadata).
    /// </summary>
    private ErrorCode ValidateOffsetCommit(short apiVersion, string groupId, int generation, string memberId, string? instanceId, bool transactional)
    {
        if (groupId.Length == 0)
        {
            return ErrorCode.InvalidGroupId;
        }

        switch (GetGroup(groupId))
        {
            case null:
                // A commit without generation creates a "simple" group (assign() consumers, admin clients).
                return generation < 0 ? ErrorCode.None : !transactional && apiVersion >= 9 ? ErrorCode.GroupIdNotFound : ErrorCode.IllegalGeneration;

            case ClassicGroup group:
                if (group.IsDead)
                {
                    return ErrorCode.CoordinatorNotAvailable;
                }

                if (generation < 0 && group.State == ClassicGroupState.Empty)
                {
                    return ErrorCode.None;
                }

                if (generation >= 0 || memberId.Length != 0 || instanceId is not null)
                {
                    ErrorCode memberError = ValidateMember(group, memberId, instanceId);
                    if (memberError != ErrorCode.None)
                    {
                        return memberError;
                    }

                    if (generation != group.GenerationId)
                    {
                        return ErrorCode.IllegalGeneration;
                    }
                }
                else if (!transactional && group.State != ClassicGroupState.Empty)
                {
                    return ErrorCode.UnknownMemberId;
                }

                return !transactional && group.State == ClassicGroupState.CompletingRebalance ? ErrorCode.RebalanceInProgress : ErrorCode.None;

            case ConsumerGroup group:
                if (generation < 0 && group.IsEmpty)
                {
                    return ErrorCode.None;
                }

                if (transactional && generation < 0 && memberId.Length == 0 && instanceId is null)
                {
                    return ErrorCode.None;
                }

                if (group.GetMember(memberId) is not { } member)
                {
                    return ErrorCode.UnknownMemberId;
                }

                if (!transactional && apiVersion < 9)
                {
                    return ErrorCode.UnsupportedVersion;
                }

                return ValidateMemberEpoch(generation, member.MemberEpoch);

            default:
                return ErrorCode.GroupIdNotFound;
        }
    }

    private static ErrorCode ValidateMemberEpoch(int received, int expected) =>
        received > expected ? ErrorCode.FencedMemberEpoch : received < expected ? ErrorCode.StaleMemberEpoch : ErrorCode.None;

    /// <summary>
    /// One group of an OffsetFetch: requested partitions (or all when <paramref name="topics"/> is null). With
    /// <paramref name="requireStable"/> (KIP-447) a partition with transactional offsets still pending answers
    /// UNSTABLE_OFFSET_COMMIT, which the consumer retries until the transaction ended.
    /// </summary>
    public OffsetFetchResponse.OffsetFetchResponseGroup OffsetFetch(string groupId, string? memberId, int memberEpoch, IReadOnlyList<(string Topic, IReadOnlyList<int> Partitions)>? topics, bool requireStable = false)
    {
        var result = new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = groupId };
        if (GetGroup(groupId) is ConsumerGroup consumer && (memberId is not null || memberEpoch >= 0))
        {
            ErrorCode error = consumer.GetMember(memberId ?? "") is { } member ? ValidateMemberEpoch(memberEpoch, member.MemberEpoch) : ErrorCode.UnknownMemberId;
            if (error != ErrorCode.None)
            {
                result.ErrorCode = (short)error;
                return result;
            }
        }

        if (topics is null)
        {
            foreach (var group in Offsets.OffsetsOf(groupId).GroupBy(o => o.Topic))
            {
                var topic = new OffsetFetchResponse.OffsetFetchResponseTopics { Name = group.Key };
                foreach (var (_, partition, value) in group)
                {
                    topic.Partitions.Add(FetchedPartition(groupId, group.Key, partition, value, requireStable));
                }

                result.Topics.Add(topic);
            }

            return result;
        }

        foreach (var (name, partitions) in topics)
        {
            var topic = new OffsetFetchResponse.OffsetFetchResponseTopics { Name = name };
            foreach (int partition in partitions)
            {
                topic.Partitions.Add(FetchedPartition(groupId, name, partition, Offsets.Get(groupId, name, partition), requireStable));
            }

            result.Topics.Add(topic);
        }

        return result;
    }

    private OffsetFetchResponse.OffsetFetchResponsePartitions FetchedPartition(string groupId, string topic, int partition, OffsetCommitValue? value, bool requireStable) =>
        requireStable && PendingTransactionalOffsets.HasPending(groupId, topic, partition)
            ? new() { PartitionIndex = partition, CommittedOffset = -1, CommittedLeaderEpoch = -1, Metadata = "", ErrorCode = (short)ErrorCode.UnstableOffsetCommit }
            : new()
            {
                PartitionIndex = partition,
                CommittedOffset = value?.Offset ?? -1,
                CommittedLeaderEpoch = value?.LeaderEpoch ?? -1,
                Metadata = value?.Metadata ?? "",
            };

    public OffsetDeleteResponse OffsetDelete(OffsetDeleteRequest request)
    {
        var response = new OffsetDeleteResponse();
        Group? group = GetGroup(request.GroupId);
        if (group is null || group.IsDead)
        {
            response.ErrorCode = (short)ErrorCode.GroupIdNotFound;
            return response;
        }

        // A classic group of another protocol type (connect, ...) cannot tell its topics: only an empty one may lose offsets.
        if (group is ClassicGroup classic && classic.GroupProtocolType is not ("consumer" or null) && !classic.IsEmpty)
        {
            response.ErrorCode = (short)ErrorCode.NonEmptyGroup;
            return response;
        }

        foreach (OffsetDeleteRequest.OffsetDeleteRequestTopic topic in request.Topics)
        {
            bool subscribed = group.IsSubscribedTo(topic.Name);
            var topicResponse = new OffsetDeleteResponse.OffsetDeleteResponseTopic { Name = topic.Name };
            foreach (OffsetDeleteRequest.OffsetDeleteRequestPartition partition in topic.Partitions)
            {
                ErrorCode error = subscribed ? ErrorCode.GroupSubscribedToTopic : ErrorCode.None;
                if (!subscribed && Offsets.Get(request.GroupId, topic.Name, partition.PartitionIndex) is not null)
                {
                    WriteAndReplay(new OffsetCommitRecord(request.GroupId, topic.Name, partition.PartitionIndex, null));
                }

                topicResponse.Partitions.Add(new OffsetDeleteResponse.OffsetDeleteResponsePartition { PartitionIndex = partition.PartitionIndex, ErrorCode = (short)error });
            }

            response.Topics.Add(topicResponse);
        }

        return response;
    }

    private void ScheduleOffsetExpiration() =>
        Timers.Schedule(OffsetExpirationKey, NowMs + _options.OffsetsRetentionCheckIntervalMs, ExpireOffsets);

    /// <summary>
    /// Kafka's offset expiry: an offset with an explicit expire timestamp (OffsetCommit v2-4) expires then;
    /// otherwise offsets of an empty group expire offsets.retention.minutes after it became empty (or after
    /// the commit, whichever is later), and offsets of a group with members only for topics nobody subscribes to.
    /// A group left empty without offsets is deleted.
    /// </summary>
    public void ExpireOffsets()
    {
        long now = NowMs;
        foreach (string groupId in Offsets.Groups.Union(_groups.Keys).ToList())
        {
            Group? group = GetGroup(groupId);
            foreach (var (topic, partition, value) in Offsets.OffsetsOf(groupId).ToList())
            {
                bool expired;
                if (value.ExpireTimestamp >= 0)
                {
                    expired = now >= value.ExpireTimestamp;
                }
                else if (group is null || group.EmptySinceMs is not null)
                {
                    long since = Math.Max(group?.EmptySinceMs ?? value.CommitTimestamp, value.CommitTimestamp);
                    expired = now - since >= _options.OffsetsRetentionMs;
                }
                else
                {
                    bool knowsTopics = group is ConsumerGroup || group is ClassicGroup { GroupProtocolType: "consumer" };
                    expired = knowsTopics && !group.IsSubscribedTo(topic) && now - value.CommitTimestamp >= _options.OffsetsRetentionMs;
                }

                if (expired)
                {
                    WriteAndReplay(new OffsetCommitRecord(groupId, topic, partition, null));
                }
            }

            if (group is { IsEmpty: true } && !Offsets.HasOffsets(groupId))
            {
                DeleteGroupRecords(group);
            }
        }

        ScheduleOffsetExpiration();
    }
}
