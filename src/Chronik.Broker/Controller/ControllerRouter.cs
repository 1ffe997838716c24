using Chronik.Broker.InterBroker;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging;
using ApiKey = Chronik.Protocol.Messages.ApiKey;

namespace Chronik.Broker.Controller;

/// <summary>
/// How this broker reaches the controller, wherever it runs: the Raft leader is the controller, so
/// each call goes to <c>quorum.LeaderNodeId</c> — this node's own <see cref="ControllerService"/> when it
/// leads, otherwise the leader's Kafka listener (its registration in the image) through
/// <see cref="RemoteController"/>.
///
/// Elections are absorbed here rather than passed on: while no leader is known the call waits for one;
/// a NOT_CONTROLLER answer (the node lost leadership, or has not committed its first entry as leader)
/// or a connection failure (the leader died, or is not registered yet) is retried against whoever
/// leads then, after an exponential backoff (50 ms doubling to 1 s, jittered) — until the caller's
/// token fires, which is the caller's deadline. So callers see a result from a real controller or
/// their own timeout, never a stream of NOT_CONTROLLER errors, and once a leader exists the next
/// attempt reaches it. A remote attempt that gets no answer within <see cref="AttemptTimeout"/> is
/// abandoned and retried (a paused leader is replaced by an election meanwhile).
/// </summary>
/// <remarks>
/// A forwarded operation whose answer is lost (the connection broke after the controller committed)
/// is sent again and then answered as Kafka would answer the repeat (e.g. TOPIC_ALREADY_EXISTS); Kafka's
/// forwarding has the same property.
/// </remarks>
public sealed partial class ControllerRouter : IControllerClient
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly MetadataQuorum _quorum;
    private readonly IControllerClient _local;
    private readonly IRaftVoterClient _localVoters;
    private readonly BrokerConnections _connections;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;

    public ControllerRouter(
        MetadataQuorum quorum,
        IControllerClient local,
        IRaftVoterClient localVoters,
        BrokerConnections connections,
        ILogger<ControllerRouter> logger,
        TimeProvider? timeProvider = null,
        Random? random = null)
    {
        _quorum = quorum;
        _local = local;
        _localVoters = localVoters;
        _connections = connections;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _random = random ?? Random.Shared;
    }

    /// <summary>How long one forwarded attempt may wait for the controller's answer.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public Task<IReadOnlyList<CreateTopicResult>> CreateTopicsAsync(IReadOnlyList<CreatableTopic> topics, bool validateOnly, CancellationToken cancellationToken) =>
        topics.Count == 0
            ? Task.FromResult<IReadOnlyList<CreateTopicResult>>([])
            : CallAsync(ApiKey.CreateTopics, (c, t) => c.CreateTopicsAsync(topics, validateOnly, t), r => r.Any(x => IsNotController(x.Error)), cancellationToken);

    public Task<IReadOnlyList<DeleteTopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicReference> topics, CancellationToken cancellationToken) =>
        topics.Count == 0
            ? Task.FromResult<IReadOnlyList<DeleteTopicResult>>([])
            : CallAsync(ApiKey.DeleteTopics, (c, t) => c.DeleteTopicsAsync(topics, t), r => r.Any(x => IsNotController(x.Error)), cancellationToken);

    public Task<IReadOnlyList<CreatePartitionsResult>> CreatePartitionsAsync(IReadOnlyList<CreatePartitionsTopic> topics, bool validateOnly, CancellationToken cancellationToken) =>
        topics.Count == 0
            ? Task.FromResult<IReadOnlyList<CreatePartitionsResult>>([])
            : CallAsync(ApiKey.CreatePartitions, (c, t) => c.CreatePartitionsAsync(topics, validateOnly, t), r => r.Any(x => IsNotController(x.Error)), cancellationToken);

    public Task<IReadOnlyList<AlterConfigsResult>> AlterConfigsAsync(IReadOnlyList<AlterConfigsResource> resources, bool validateOnly, CancellationToken cancellationToken) =>
        resources.Count == 0
            ? Task.FromResult<IReadOnlyList<AlterConfigsResult>>([])
            : CallAsync(ApiKey.IncrementalAlterConfigs, (c, t) => c.AlterConfigsAsync(resources, validateOnly, t), r => r.Any(x => IsNotController(x.Error)), cancellationToken);

    public Task<BrokerRegistrationResult> RegisterBrokerAsync(BrokerRegistrationRequest request, CancellationToken cancellationToken) =>
        CallAsync(ApiKey.BrokerRegistration, (c, t) => c.RegisterBrokerAsync(request, t), r => IsNotController(r.Error), cancellationToken);

    public Task<BrokerHeartbeatResult> BrokerHeartbeatAsync(BrokerHeartbeatRequest request, CancellationToken cancellationToken) =>
        CallAsync(ApiKey.BrokerHeartbeat, (c, t) => c.BrokerHeartbeatAsync(request, t), r => IsNotController(r.Error), cancellationToken);

    /// <summary>Only a request-level NOT_CONTROLLER is retried: per partition it means "your epochs are newer than mine", which the caller handles.</summary>
    public Task<AlterPartitionResult> AlterPartitionAsync(AlterPartitionRequest request, CancellationToken cancellationToken) =>
        CallAsync(ApiKey.AlterPartition, (c, t) => c.AlterPartitionAsync(request, t), r => IsNotController(r.Error), cancellationToken);

    public Task<ProducerIdsResult> AllocateProducerIdsAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken) =>
        CallAsync(ApiKey.AllocateProducerIds, (c, t) => c.AllocateProducerIdsAsync(brokerId, brokerEpoch, t), r => IsNotController(r.Error), cancellationToken);

    public Task<ElectLeadersOutcome> ElectLeadersAsync(ElectionType type, IReadOnlyList<TopicPartitionRef>? partitions, CancellationToken cancellationToken) =>
        CallAsync(ApiKey.ElectLeaders, (c, t) => c.ElectLeadersAsync(type, partitions, t), r => IsNotController(r.Error), cancellationToken);

    public Task<IReadOnlyList<PartitionReassignmentResult>> AlterPartitionReassignmentsAsync(IReadOnlyList<PartitionReassignment> reassignments, CancellationToken cancellationToken) =>
        reassignments.Count == 0
            ? Task.FromResult<IReadOnlyList<PartitionReassignmentResult>>([])
            : CallAsync(ApiKey.AlterPartitionReassignments, (c, t) => c.AlterPartitionReassignmentsAsync(reassignments, t), r => r.Any(x => IsNotController(x.Error)), cancellationToken);

    public Task<ApiError> UnregisterBrokerAsync(int brokerId, CancellationToken cancellationToken) =>
        CallAsync(ApiKey.UnregisterBroker, (c, t) => c.UnregisterBrokerAsync(brokerId, t), IsNotController, cancellationToken);

    private static bool IsNotController(ApiError error) => error.Code == ErrorCode.NotController;

    private Task<T> CallAsync<T>(ApiKey operation, Func<IControllerClient, CancellationToken, Task<T>> call, Func<T, bool> notController, CancellationToken cancellationToken) =>
        CallAsync(operation, _local, Remote, call, notController, cancellationToken);

    private RemoteController Remote(int leader) => new(_connections, leader, () => _quorum.Current);

    /// <summary>Runs <paramref name="call"/> on the leader's <typeparamref name="TClient"/>: <paramref name="local"/> here, <paramref name="remote"/>(leader) elsewhere.</summary>
    private async Task<T> CallAsync<TClient, T>(
        ApiKey operation,
        TClient local,
        Func<int, TClient> remote,
        Func<TClient, CancellationToken, Task<T>> call,
        Func<T, bool> notController,
        CancellationToken cancellationToken)
    {
        var backoff = new RetryBackoff(InitialBackoff, MaxBackoff, _random);
        int attempts = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int leader = _quorum.LeaderNodeId ?? await _quorum.WaitForLeaderAsync(cancellationToken).ConfigureAwait(false);
            attempts++;
            string problem;
            if (leader == _quorum.NodeId)
            {
                // In-process: the quorum bounds it (a leader that cannot commit steps down and answers NOT_CONTROLLER).
                T result = await call(local, cancellationToken).ConfigureAwait(false);
                if (!notController(result))
                {
                    return result;
                }

                problem = "this node is not (or not yet) the active controller";
            }
            else
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(AttemptTimeout);
                try
                {
                    T result = await call(remote(leader), attempt.Token).ConfigureAwait(false);
                    if (!notController(result))
                    {
                        return result;
                    }

                    problem = $"node {leader} answered NOT_CONTROLLER";
                }
                catch (KafkaClientException e)
                {
                    problem = e.Message;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    problem = $"node {leader} did not answer within {AttemptTimeout.TotalSeconds} s";
                }
            }

            TimeSpan pause = backoff.Next();
            LogRetry(_logger, operation, attempts, problem, (long)pause.TotalMilliseconds);
            await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "Controller call {Operation} attempt {Attempt} failed ({Problem}); retrying in {PauseMs} ms")]
    private static partial void LogRetry(ILogger logger, ApiKey operation, int attempt, string problem, long pauseMs);
}
