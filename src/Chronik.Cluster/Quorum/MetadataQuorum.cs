using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Chronik.Cluster.Metadata;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Cluster.Quorum;

/// <summary>
/// This node's member of the metadata quorum: a DotNext Raft node over TCP with a persistent WAL under
/// the metadata directory, folding committed entries into <see cref="Current"/>.
///
/// Bootstrap: every node — a single node too — starts with <c>ColdStart = false</c> and the voter
/// configuration of its metadata directory, which the bootstrap voters seed (and which follows them until
/// the first voter change commits; from then on the persisted, replicated configuration wins: see
/// <see cref="VoterBootstrap"/>). No node ever
/// forms a group on its own, so nodes started one at a time in any order join one group; a node without a
/// majority stays a follower/candidate and keeps retrying forever (<see cref="NotReadyReason"/> says why it
/// is not ready). A configuration of one voter elects itself, which is how a single node runs the same code
/// path as a cluster. Voters change at run time one at a time (<see cref="AddVoterAsync"/>,
/// <see cref="RemoveVoterAsync"/>, KIP-853's AddRaftVoter / RemoveRaftVoter).
/// </summary>
public sealed partial class MetadataQuorum : IAsyncDisposable
{
    private readonly MetadataQuorumOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly VoterConfigurationStorage _voterStorage;
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<long>> _pendingProposals = new();
    private readonly Lock _publishLock = new();
    private readonly List<(long Version, TaskCompletionSource<MetadataImage> Waiter)> _versionWaiters = [];
    private readonly List<Channel<MetadataImage>> _watchers = [];
    private MetadataImage _folded = MetadataImage.Empty;
    private volatile MetadataImage _current = MetadataImage.Empty;
    private int _leaderNodeId = -1;
    private VoterState _voters;
    private long _leaderTerm = -1;
    private MetadataStateMachine? _stateMachine;
    private WriteAheadLog? _wal;
    private WalCompactor? _compactor;
    private RaftCluster? _raft;
    private int _state; // 0 new, 1 starting/running, 2 stopped

    /// <param name="timeProvider">Clock of the periodic WAL compaction and of the throttle of Raft's repeated warnings (Raft's own timers use real time).</param>
    public MetadataQuorum(MetadataQuorumOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = _loggerFactory.CreateLogger<MetadataQuorum>();
        _voterStorage = new VoterConfigurationStorage(Path.Combine(options.MetadataDirectory, VoterFileName));
        _voters = new VoterState(options.Voters, options.JoinAs is null);
    }

    public int NodeId => _options.NodeId;

    /// <summary>The latest image: every committed entry applied here, stamped with the current controller id.</summary>
    public MetadataImage Current => _current;

    /// <summary>
    /// Raised after <see cref="Current"/> changed (new entries applied or a new controller), in order,
    /// on the thread that applied the change. Handlers must be quick and must not block.
    /// </summary>
    public event Action<MetadataImage>? ImageChanged;

    /// <summary>Whether this node is the Raft leader, i.e. the controller.</summary>
    public bool IsLeader => _raft is { } raft && !raft.LeadershipToken.IsCancellationRequested;

    /// <summary>Cancelled when this node stops being the leader (already cancelled when it is not).</summary>
    public CancellationToken LeadershipToken => _raft?.LeadershipToken ?? new CancellationToken(true);

    /// <summary>Node id of the current Raft leader, or null while there is none (election, no majority).</summary>
    public int? LeaderNodeId
    {
        get
        {
            int id = Volatile.Read(ref _leaderNodeId);
            return id < 0 ? null : id;
        }
    }

    /// <summary>Null when this node is started and knows a leader; otherwise why the quorum is not usable.</summary>
    public string? NotReadyReason => Volatile.Read(ref _state) switch
    {
        0 => "metadata quorum not started",
        2 => "metadata quorum stopped",
        _ when !IsVoter =>
            $"node {NodeId} is not a voter of the metadata quorum (voters {string.Join(",", Voters)}): it waits to be added (AddRaftVoter), or was removed",
        _ when LeaderNodeId is null =>
            $"metadata quorum has no leader: node {NodeId} waits for a majority of the {Voters.Count} voters ({string.Join(",", Voters)})",
        _ => null,
    };

    /// <summary>
    /// Opens the log, restores the latest snapshot, replays the committed entries after it and starts
    /// the Raft listener. Returns once this node takes part in the quorum; it does not wait for a leader.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("the metadata quorum can be started once");
        }

        QuorumPeer self = _options.Self;
        string snapshotDir = Path.Combine(_options.MetadataDirectory, "snapshots");
        string walDir = Path.Combine(_options.MetadataDirectory, "wal");
        Directory.CreateDirectory(snapshotDir);
        Directory.CreateDirectory(walDir);

        var snapshotLocation = new DirectoryInfo(snapshotDir);
        MetadataStateMachine.DeleteUnfinishedSnapshots(snapshotLocation);
        _stateMachine = new MetadataStateMachine(snapshotLocation, _options.SnapshotInterval, OnApplied, _voterStorage);

        // DotNext: restore the state machine before the WAL is built, or the whole log is replayed over it.
        await _stateMachine.RestoreAsync(cancellationToken).ConfigureAwait(false);
        _wal = new WriteAheadLog(
            new WriteAheadLog.Options { Location = walDir, ChunkSize = _options.WalChunkSize },
            _stateMachine);

        // The WAL replays the committed entries after the snapshot on its own; wait for it, so the voter
        // configuration read next holds every configuration entry the log committed.
        await _wal.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await PrepareVotersAsync(cancellationToken).ConfigureAwait(false);

        IPAddress bindAddress = _options.BindAddress ?? (IPAddress.TryParse(self.Host, out IPAddress? ip) ? ip : IPAddress.Any);
        var config = new RaftCluster.TcpConfiguration(new IPEndPoint(bindAddress, self.Port))
        {
            ColdStart = false,
            ConfigurationStorage = _voterStorage,
            PublicEndPoint = self.EndPoint,
            LowerElectionTimeout = (int)_options.ElectionTimeoutLower.TotalMilliseconds,
            UpperElectionTimeout = (int)_options.ElectionTimeoutUpper.TotalMilliseconds,
            RequestTimeout = _options.ElectionTimeoutLower,
            HeartbeatThreshold = _options.HeartbeatInterval / _options.ElectionTimeoutLower,
            WarmupRounds = _options.CatchUpRounds,
            // DotNext warns about an unreachable member on every failed heartbeat (~10/s per peer, with a stack trace).
            LoggerFactory = new ThrottledLoggerFactory(_loggerFactory, new RepeatedWarningThrottle(_timeProvider)),
        };
        if (_options.MemberMetadata is { } metadata)
        {
            foreach (var (key, value) in metadata)
            {
                config.Metadata[key] = value;
            }
        }

        _compactor = new WalCompactor(_wal, _stateMachine, _options.WalCompactionInterval, _timeProvider, _logger);
        _raft = new RaftCluster(config) { AuditTrail = _wal };
        _raft.LeaderChanged += OnLeaderChanged;
        try
        {
            await _raft.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            await DisposeRaftAsync().ConfigureAwait(false);
            throw new QuorumStartException($"Raft port {self.Port} on {bindAddress} is already in use (node {NodeId}, set raft-addr / the voter entry to a free port)", e);
        }

        _logger.LogInformation("Metadata quorum node {NodeId} started on {EndPoint} as {Role} with voters {Voters}; image at version {Version}",
            NodeId, self.EndPoint, IsVoter ? "a voter" : "a non-voter", string.Join(",", Voters), _current.Version);
    }

    /// <summary>Leaves the quorum and closes the log. Pending proposals and waiters are cancelled.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        if (_raft is { } raft)
        {
            try
            {
                await raft.StopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                _logger.LogDebug(e, "Raft stop of node {NodeId} was cut short", NodeId);
            }
        }

        await DisposeRaftAsync().ConfigureAwait(false);
        CancelWaiters();
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _state) == 1)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            Volatile.Write(ref _state, 2);
            await DisposeRaftAsync().ConfigureAwait(false);
            CancelWaiters();
        }
    }

    /// <summary>Waits until a leader is known and returns its node id. Never gives up on its own.</summary>
    public async Task<int> WaitForLeaderAsync(CancellationToken cancellationToken)
    {
        RaftCluster raft = _raft ?? throw new InvalidOperationException("the metadata quorum is not started");
        while (true)
        {
            RaftClusterMember leader = await raft.WaitForLeaderAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            if (_voterStorage.TryGetNodeId(leader.EndPoint, out int id))
            {
                return id;
            }

            _logger.LogWarning("Raft leader {EndPoint} is not among the configured voters", leader.EndPoint);
            await Task.Delay(_options.ElectionTimeoutLower, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Completes with the image once <see cref="Current"/> has folded at least <paramref name="version"/>.</summary>
    public Task<MetadataImage> WaitForVersionAsync(long version, CancellationToken cancellationToken)
    {
        TaskCompletionSource<MetadataImage> waiter;
        lock (_publishLock)
        {
            if (_current.Version >= version)
            {
                return Task.FromResult(_current);
            }

            if (Volatile.Read(ref _state) == 2)
            {
                return Task.FromCanceled<MetadataImage>(new CancellationToken(true));
            }

            waiter = new TaskCompletionSource<MetadataImage>(TaskCreationOptions.RunContinuationsAsynchronously);
            _versionWaiters.Add((version, waiter));
        }

        return waiter.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The current image, then every later one as it is published. A slow reader skips intermediate
    /// images (it always gets the newest), which is what a consumer of "the state now" needs.
    /// </summary>
    public async IAsyncEnumerable<MetadataImage> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<MetadataImage>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_publishLock)
        {
            channel.Writer.TryWrite(_current);
            _watchers.Add(channel);
        }

        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out MetadataImage? image))
                {
                    yield return image;
                }
            }
        }
        finally
        {
            lock (_publishLock)
            {
                _watchers.Remove(channel);
            }
        }
    }

    /// <summary>
    /// Appends <paramref name="records"/> as one entry (they commit atomically) and returns its log
    /// offset once it is committed and folded into <see cref="Current"/> here. Only the leader may
    /// propose: elsewhere, or if leadership is lost before the entry commits, this throws
    /// <see cref="NotControllerException"/> (an entry that was appended may still commit later).
    /// <para>
    /// The entry carries the term this node was elected in, never the node's current term: a leader
    /// that was frozen takes the new leader's higher term the moment it resumes, while its leader state
    /// lingers; an entry stamped with that term would match the new leader's entry at the same index by
    /// term, be kept instead of truncated, and diverge this node's log for good (Raft §5.3 log matching).
    /// So a leader whose term moved on refuses, and a late entry of the old term is truncated as Raft intends.
    /// </para>
    /// </summary>
    public async Task<long> ProposeAsync(IReadOnlyList<MetadataRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        RaftCluster raft = _raft ?? throw new InvalidOperationException("the metadata quorum is not started");
        long term = Volatile.Read(ref _leaderTerm);
        if (!IsLeader || term != raft.Term)
        {
            throw NotController();
        }

        var proposalId = Guid.NewGuid();
        var applied = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingProposals[proposalId] = applied;
        try
        {
            byte[] entry = MetadataEntryCodec.Encode(proposalId, records);
            try
            {
                await raft.ReplicateAsync(new BinaryLogEntry { Content = entry, Term = term }, cancellationToken).ConfigureAwait(false);
            }
            catch (NotLeaderException)
            {
                throw NotController();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // DotNext cancels replication with the leadership token when this node steps down.
                throw NotController();
            }

            return await applied.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pendingProposals.TryRemove(proposalId, out _);
        }
    }

    /// <summary>
    /// This node's view of the quorum (DescribeQuorum): the leader it knows, the current term (Kafka's
    /// leader epoch), the committed index (the metadata log's high watermark) and its own last index.
    /// </summary>
    public QuorumDescription Describe()
    {
        WriteAheadLog? wal = _wal;
        long term = _raft is IRaftCluster raft ? raft.Term : 0;
        VoterState voters = Volatile.Read(ref _voters);
        return new QuorumDescription(LeaderNodeId, term, wal?.LastCommittedEntryIndex ?? 0, wal?.LastEntryIndex ?? 0, voters.Voters, voters.IsVoter);
    }

    /// <summary>Index of the newest snapshot the log may be compacted up to (0: none yet).</summary>
    internal long SnapshotIndex => _stateMachine?.SnapshotIndex ?? 0;

    /// <summary>The Raft log's persistent term and vote, for tests that reproduce term changes.</summary>
    internal IPersistentState? PersistentState => _wal;

    private NotControllerException NotController()
    {
        int? leader = LeaderNodeId;
        return new NotControllerException(leader, leader is { } id && id != NodeId
            ? $"node {NodeId} is not the controller; node {id} is"
            : $"node {NodeId} is not the controller and no controller is known yet");
    }

    private void OnApplied(MetadataImage image, Guid? proposalId)
    {
        lock (_publishLock)
        {
            _folded = image;
            PublishLocked();
        }

        if (proposalId is { } id && _pendingProposals.TryRemove(id, out var proposal))
        {
            proposal.TrySetResult(image.Version);
        }
    }

    private void OnLeaderChanged(RaftCluster<RaftClusterMember> cluster, RaftClusterMember? leader)
    {
        int leaderId = leader is not null && _voterStorage.TryGetNodeId(leader.EndPoint, out int leaderNodeId) ? leaderNodeId : -1;
        // The term of this node's leadership, read as it is announced; proposals are stamped with it.
        Volatile.Write(ref _leaderTerm, leaderId == NodeId ? cluster.Term : -1);
        int id = UpdateLeader(leader);
        _logger.LogInformation("Metadata quorum node {NodeId}: leader is now {Leader}", NodeId, id < 0 ? "unknown" : id);
    }

    /// <summary>Maps <paramref name="leader"/> to its node id through the voter configuration and publishes it; -1 if none or unknown.</summary>
    private int UpdateLeader(RaftClusterMember? leader)
    {
        int id = leader is not null && _voterStorage.TryGetNodeId(leader.EndPoint, out int nodeId) ? nodeId : -1;
        lock (_publishLock)
        {
            if (Volatile.Read(ref _leaderNodeId) != id)
            {
                Volatile.Write(ref _leaderNodeId, id);
                PublishLocked();
            }
        }

        return id;
    }

    private void PublishLocked()
    {
        MetadataImage image = _folded.WithControllerId(_leaderNodeId);
        if (ReferenceEquals(image, _current))
        {
            return;
        }

        _current = image;
        for (int i = _versionWaiters.Count - 1; i >= 0; i--)
        {
            if (_versionWaiters[i].Version <= image.Version)
            {
                _versionWaiters[i].Waiter.TrySetResult(image);
                _versionWaiters.RemoveAt(i);
            }
        }

        foreach (Channel<MetadataImage> watcher in _watchers)
        {
            watcher.Writer.TryWrite(image);
        }

        try
        {
            ImageChanged?.Invoke(image);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "An ImageChanged handler failed");
        }
    }

    private void CancelWaiters()
    {
        lock (_publishLock)
        {
            foreach (var (_, waiter) in _versionWaiters)
            {
                waiter.TrySetCanceled();
            }

            _versionWaiters.Clear();
            foreach (Channel<MetadataImage> watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }

            Volatile.Write(ref _leaderNodeId, -1);
        }

        foreach (var proposal in _pendingProposals.Values)
        {
            proposal.TrySetException(new NotControllerException(null, $"metadata quorum node {NodeId} stopped"));
        }
    }

    private async ValueTask DisposeRaftAsync()
    {
        if (Interlocked.Exchange(ref _raft, null) is { } raft)
        {
            raft.LeaderChanged -= OnLeaderChanged;
            raft.Dispose();
        }

        _voterStorage.ConfigurationChanged -= OnVotersChanged;

        if (Interlocked.Exchange(ref _compactor, null) is { } compactor)
        {
            await compactor.DisposeAsync().ConfigureAwait(false);
        }

        if (Interlocked.Exchange(ref _wal, null) is { } wal)
        {
            await wal.DisposeAsync().ConfigureAwait(false);
        }

        if (Interlocked.Exchange(ref _stateMachine, null) is { } stateMachine)
        {
            await stateMachine.DisposeAsync().ConfigureAwait(false);
        }

        _voterStorage.Dispose();
    }
}
