using Chronik.Broker.Partitions;
using Chronik.Broker.Replication;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Tests.Replication;

/// <summary>
/// The replication protocol as a simulation over model logs, driven by the real decision classes —
/// <see cref="LeaderReplicationState"/> on the leader, <see cref="FetcherPartitionStates"/> and
/// <see cref="TruncationPlanner"/> on the followers — with a controller that fences crashed brokers, elects from the
/// ISR and answers (or loses) ISR changes. Random schedules of produces, fsyncs, fetches, ISR checks, crashes (losing
/// what was not fsynced) and restarts; after every event the invariants are checked:
/// <list type="bullet">
/// <item>the high watermark never moves back within a leader epoch;</item>
/// <item>no committed record is ever lost or changed: the leader's log holds every offset below any high watermark
/// ever reached, with the same record, and so every acknowledged acks=all record;</item>
/// <item>a follower never truncates below its own high watermark;</item>
/// <item>a follower that fetched successfully in the current epoch holds a prefix of the leader's log.</item>
/// </list>
/// The seed is in every failure message; a failing seed becomes a permanent case.
/// </summary>
public class ReplicationSimulationTests
{
    private static readonly TopicPartition Tp = new("t", 0);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Random_schedules_never_lose_committed_records(bool divergenceInFetch)
    {
        var totals = new SimulationCounts();
        for (int seed = 0; seed < 150; seed++)
        {
            new Simulation(seed, divergenceInFetch, totals).Run(600);
        }

        // The schedules must reach the interesting states, or the invariants prove little.
        Assert.True(totals.Elections > 100, $"elections: {totals.Elections}");
        Assert.True(totals.Truncations > 50, $"truncations below the log end: {totals.Truncations}");
        Assert.True(totals.IsrChanges > 100, $"committed ISR changes: {totals.IsrChanges}");
        Assert.True(totals.Acknowledged > 1000, $"acknowledged acks=all records: {totals.Acknowledged}");
    }

    private sealed class SimulationCounts
    {
        public int Elections { get; set; }

        public int Truncations { get; set; }

        public int IsrChanges { get; set; }

        public int Acknowledged { get; set; }
    }

    private sealed class Replica(int id)
    {
        public int Id { get; } = id;

        public bool Alive { get; set; } = true;

        public List<(int Epoch, int Value)> Log { get; } = [];

        public List<(int Epoch, long Start)> Epochs { get; } = [];

        public long HighWatermark { get; set; }

        public long Durable { get; set; }

        public FetcherPartitionStates? Fetch { get; set; }

        public LeaderReplicationState? Leader { get; set; }

        /// <summary>Fetched from the current leader without divergence since the last role change.</summary>
        public bool Synced { get; set; }

        public long LogEnd => Log.Count;

        public int? LatestEpoch => Epochs.Count == 0 ? null : Epochs[^1].Epoch;

        public void Append(int epoch, int value)
        {
            if (LatestEpoch is not { } latest || epoch > latest)
            {
                Epochs.Add((epoch, LogEnd));
            }

            Log.Add((epoch, value));
        }

        public void AssignEpochStart(int epoch)
        {
            if (LatestEpoch is not { } latest || latest < epoch)
            {
                Epochs.Add((epoch, LogEnd));
            }
        }

        public void TruncateTo(long offset)
        {
            if (offset >= LogEnd)
            {
                return;
            }

            Log.RemoveRange((int)offset, Log.Count - (int)offset);
            Epochs.RemoveAll(e => e.Start >= offset);
            HighWatermark = Math.Min(HighWatermark, offset);
            Durable = Math.Min(Durable, offset);
        }

        /// <summary>The storage's LeaderEpochCache.EndOffsetFor.</summary>
        public (int Epoch, long EndOffset) EndOffsetFor(int requested)
        {
            if (requested < 0 || Epochs.Count == 0)
            {
                return (-1, -1);
            }

            if (Epochs[^1].Epoch == requested)
            {
                return (requested, LogEnd);
            }

            int higher = Epochs.FindIndex(e => e.Epoch > requested);
            if (higher < 0)
            {
                return (-1, -1);
            }

            return higher == 0 ? (requested, Epochs[0].Start) : (Epochs[higher - 1].Epoch, Epochs[higher].Start);
        }
    }

    private sealed class Simulation
    {
        private readonly int _seed;
        private readonly bool _divergenceInFetch;
        private readonly Random _random;
        private readonly Replica[] _replicas = [new(1), new(2), new(3)];
        private readonly Replica _nobody = new(-1) { Alive = false };
        private readonly Dictionary<long, int> _committed = [];
        private readonly List<(long Required, int Epoch)> _acksPending = [];
        private readonly Dictionary<long, int> _acknowledged = [];
        private readonly int _minIsr;
        private int _leader = 1;
        private int _leaderEpoch;
        private int _partitionEpoch;
        private List<int> _isr = [1, 2, 3];
        private PendingIsrChange? _inFlight;
        private long _now = 1_000_000;
        private int _nextValue;
        private long _epochHighWatermark;
        private int _step;

        private readonly SimulationCounts _counts;

        public Simulation(int seed, bool divergenceInFetch, SimulationCounts counts)
        {
            _counts = counts;
            _seed = seed;
            _divergenceInFetch = divergenceInFetch;
            _random = new Random(seed);
            _minIsr = 1 + _random.Next(2);
            ApplyRoles();
        }

        private string Where => $"seed {_seed} ({(_divergenceInFetch ? "Fetch v12+" : "OffsetForLeaderEpoch")}) step {_step}";

        /// <summary>The replica with that id; the leader id -1 (no leader) gives a replica that is never alive.</summary>
        private Replica R(int id) => id > 0 ? _replicas[id - 1] : _nobody;

        public void Run(int steps)
        {
            for (_step = 0; _step < steps; _step++)
            {
                _now += _random.Next(40);
                switch (_random.Next(12))
                {
                    case 0 or 1:
                        Produce();
                        break;
                    case 2 or 3:
                        LeaderFsync();
                        break;
                    case 4 or 5 or 6:
                        FollowerFetch(_replicas[_random.Next(3)]);
                        break;
                    case 7:
                        if (R(_leader) is { Alive: true, Leader: { } state } && _inFlight is null)
                        {
                            _inFlight = state.TryShrink(R(_leader).LogEnd, _now);
                        }

                        break;
                    case 8 or 9:
                        AnswerIsrChange();
                        break;
                    case 10:
                        if (_random.Next(3) == 0)
                        {
                            Crash(_replicas[_random.Next(3)]);
                        }

                        break;
                    default:
                        Restart(_replicas[_random.Next(3)]);
                        break;
                }

                CheckInvariants();
            }
        }

        private void Produce()
        {
            if (_leader < 0 || R(_leader) is not { Alive: true, Leader: { } state } leader)
            {
                return;
            }

            bool all = _random.Next(2) == 0;
            if (all && state.IsUnderMinIsr)
            {
                return;
            }

            int count = 1 + _random.Next(3);
            for (int i = 0; i < count; i++)
            {
                leader.Append(_leaderEpoch, _nextValue++);
            }

            if (all)
            {
                _acksPending.Add((leader.LogEnd, _leaderEpoch));
            }

            OnLeaderProgress(state.UpdateLocal(leader.Durable, leader.LogEnd, _now));
        }

        private void LeaderFsync()
        {
            var leader = _leader > 0 ? R(_leader) : null;
            if (leader is not { Alive: true, Leader: { } state })
            {
                return;
            }

            leader.Durable = Math.Min(leader.LogEnd, leader.Durable + _random.Next(6));
            OnLeaderProgress(state.UpdateLocal(leader.Durable, leader.LogEnd, _now));
        }

        private void FollowerFetch(Replica follower)
        {
            if (!follower.Alive || follower.Fetch is not { } fetch || _leader < 0 || R(_leader) is not { Alive: true, Leader: { } state } leader)
            {
                return;
            }

            if (fetch.Ready(FetchPhase.Truncating, _now) is [var (tp, truncating), ..])
            {
                if (follower.LatestEpoch is not { } latest)
                {
                    Truncate(follower, new TruncationPoint(Math.Min(follower.HighWatermark, follower.LogEnd), true), truncating);
                }
                else if (_divergenceInFetch)
                {
                    fetch.Truncated(tp, follower.LogEnd, latest, completed: true);
                }
                else
                {
                    var (epoch, end) = leader.EndOffsetFor(latest);
                    Truncate(follower, TruncationPlanner.Plan(epoch, end, follower.LogEnd, follower.HighWatermark, follower.EndOffsetFor), truncating);
                }

                return;
            }

            if (fetch.Ready(FetchPhase.Fetching, _now) is not [var (_, sent), ..])
            {
                return;
            }

            // The leader's FetchOperation: the divergence check, then the read and the follower's position.
            if (_divergenceInFetch && sent.LastFetchedEpoch >= 0)
            {
                var (epoch, end) = leader.EndOffsetFor(sent.LastFetchedEpoch);
                if (epoch < 0 || end < 0)
                {
                    OutOfRange(follower, leader, sent);
                    return;
                }

                if (epoch < sent.LastFetchedEpoch || end < sent.FetchOffset)
                {
                    follower.Synced = false;
                    var point = TruncationPlanner.Plan(epoch, end, follower.LogEnd, follower.HighWatermark, follower.EndOffsetFor);
                    Truncate(follower, point with { Completed = true }, sent);
                    return;
                }
            }

            if (sent.FetchOffset > leader.LogEnd)
            {
                OutOfRange(follower, leader, sent);
                return;
            }

            long leaderEnd = leader.LogEnd;
            Assert.True(state.UpdateFollower(follower.Id, sent.FetchOffset, leaderEnd, 1, _now, out bool moved), $"{Where}: follower {follower.Id} unknown to the leader");
            _inFlight ??= state.TryExpand(follower.Id);
            OnLeaderProgress(moved);

            int take = (int)Math.Min(leaderEnd - sent.FetchOffset, 1 + _random.Next(5));
            for (int i = 0; i < take; i++)
            {
                var (epoch, value) = leader.Log[(int)sent.FetchOffset + i];
                follower.Append(epoch, value);
            }

            // The fetcher waits for the append to be durable before its next fetch reports it.
            follower.Durable = follower.LogEnd;
            follower.HighWatermark = Math.Max(follower.HighWatermark, Math.Min(leader.HighWatermark, follower.LogEnd));
            follower.Synced = true;
            if (take > 0)
            {
                fetch.Advance(Tp, follower.LogEnd, follower.LatestEpoch ?? -1);
            }
        }

        private void OutOfRange(Replica follower, Replica leader, PartitionFetchState sent)
        {
            var point = leader.LogEnd < follower.LogEnd ? new TruncationPoint(leader.LogEnd, true) : new TruncationPoint(follower.LogEnd, true);
            Truncate(follower, point, sent);
        }

        private void Truncate(Replica follower, TruncationPoint point, PartitionFetchState sent)
        {
            if (point.Offset < follower.LogEnd)
            {
                Assert.True(point.Offset >= follower.HighWatermark, $"{Where}: follower {follower.Id} truncates to {point.Offset} below its high watermark {follower.HighWatermark}");
                follower.TruncateTo(point.Offset);
                _counts.Truncations++;
            }

            Assert.True(follower.Fetch!.Matches(Tp, sent), $"{Where}: the fetch state moved under the request");
            follower.Fetch.Truncated(Tp, follower.LogEnd, follower.LatestEpoch ?? -1, point.Completed);
        }

        private void AnswerIsrChange()
        {
            if (_inFlight is not { } change || _leader < 0 || R(_leader).Leader is not { } state)
            {
                _inFlight = null;
                return;
            }

            var leader = R(_leader);
            var proposed = change.ProposedIsr.Select(m => m.BrokerId).ToList();
            IsrChangeOutcome outcome;
            bool moved;
            switch (_random.Next(4))
            {
                case 0:
                    outcome = state.CompleteIsrChange(change, ErrorCode.NotController, -1, -1, null, leader.LogEnd, _now, out moved);
                    break;
                default:
                    // AlterPartitionDecisions: epochs must match, every member must be alive (unfenced).
                    if (change.LeaderEpoch != _leaderEpoch || change.PartitionEpoch != _partitionEpoch)
                    {
                        outcome = state.CompleteIsrChange(change, ErrorCode.InvalidUpdateVersion, -1, -1, null, leader.LogEnd, _now, out moved);
                    }
                    else if (proposed.Any(id => !R(id).Alive))
                    {
                        outcome = state.CompleteIsrChange(change, ErrorCode.IneligibleReplica, -1, -1, null, leader.LogEnd, _now, out moved);
                    }
                    else
                    {
                        _isr = proposed;
                        _partitionEpoch++;
                        _counts.IsrChanges++;
                        outcome = state.CompleteIsrChange(change, ErrorCode.None, _leaderEpoch, _partitionEpoch, proposed, leader.LogEnd, _now, out moved);
                    }

                    break;
            }

            if (outcome != IsrChangeOutcome.Retry)
            {
                _inFlight = null;
            }

            OnLeaderProgress(moved);
        }

        private void Crash(Replica replica)
        {
            if (!replica.Alive)
            {
                return;
            }

            // kill -9 and a lost page cache: what was not fsynced is gone.
            replica.Alive = false;
            replica.TruncateTo(replica.Durable);
            replica.Fetch = null;
            replica.Leader = null;

            // The controller fences it: it leaves the ISR (unless it is the last member), and where it led the first
            // live ISR member leads in a new epoch; with none the partition stays leaderless (no unclean election).
            if (_isr.Contains(replica.Id) && _isr.Count > 1)
            {
                _isr.Remove(replica.Id);
            }

            if (_leader == replica.Id)
            {
                _leader = _isr.FirstOrDefault(id => R(id).Alive, -1);
                _leaderEpoch++;
                _counts.Elections++;
                _acksPending.Clear();
            }

            _partitionEpoch++;
            ApplyRoles();
        }

        private void Restart(Replica replica)
        {
            if (replica.Alive)
            {
                return;
            }

            replica.Alive = true;
            if (_leader < 0 && _isr.Contains(replica.Id))
            {
                _leader = replica.Id;
                _leaderEpoch++;
            }

            _partitionEpoch++;
            ApplyRoles();
        }

        /// <summary>Every live broker applies the controller's state, as the metadata image reaches it.</summary>
        private void ApplyRoles()
        {
            _inFlight = null;
            _epochHighWatermark = _leader > 0 ? R(_leader).HighWatermark : 0;
            foreach (var replica in _replicas)
            {
                if (!replica.Alive)
                {
                    continue;
                }

                replica.Synced = false;
                if (replica.Id == _leader)
                {
                    replica.Fetch = null;
                    replica.AssignEpochStart(_leaderEpoch);
                    replica.Leader = new LeaderReplicationState(replica.Id, _leaderEpoch, _partitionEpoch, [1, 2, 3], _isr, replica.HighWatermark, replica.LogEnd, _now, (id, _) => R(id).Alive)
                    {
                        MinInsyncReplicas = _minIsr,
                        ReplicaLagTimeMaxMs = 300,
                    };
                    OnLeaderProgress(replica.Leader.UpdateLocal(replica.Durable, replica.LogEnd, _now));
                }
                else
                {
                    replica.Leader = null;
                    replica.Fetch ??= new FetcherPartitionStates();
                    replica.Fetch.Add(Tp, _leaderEpoch, replica.LogEnd);
                }
            }
        }

        private void OnLeaderProgress(bool moved)
        {
            if (_leader < 0)
            {
                return;
            }

            var leader = R(_leader);
            var state = leader.Leader!;
            if (moved || state.HighWatermark > leader.HighWatermark)
            {
                for (long o = leader.HighWatermark; o < state.HighWatermark; o++)
                {
                    int value = leader.Log[(int)o].Value;
                    if (_committed.TryGetValue(o, out int before))
                    {
                        Assert.True(before == value, $"{Where}: committed offset {o} changed from {before} to {value}");
                    }

                    _committed[o] = value;
                }

                leader.HighWatermark = state.HighWatermark;
            }

            for (int i = _acksPending.Count - 1; i >= 0; i--)
            {
                var (required, _) = _acksPending[i];
                var (done, error) = state.CheckEnoughReplicasReachOffset(required);
                if (done)
                {
                    _acksPending.RemoveAt(i);
                    if (error == ErrorCode.None)
                    {
                        for (long o = 0; o < required; o++)
                        {
                            _acknowledged[o] = leader.Log[(int)o].Value;
                        }

                        _counts.Acknowledged++;
                    }
                }
            }
        }

        private void CheckInvariants()
        {
            if (_leader < 0 || R(_leader) is not { Alive: true, Leader: { } state } leader)
            {
                return;
            }

            Assert.True(state.HighWatermark >= _epochHighWatermark, $"{Where}: high watermark moved back from {_epochHighWatermark} to {state.HighWatermark}");
            _epochHighWatermark = state.HighWatermark;
            foreach (var (offset, value) in _committed)
            {
                Assert.True(offset < leader.LogEnd && leader.Log[(int)offset].Value == value,
                    $"{Where}: committed offset {offset} ({value}) is not in leader {leader.Id}'s log of {leader.LogEnd}");
            }

            foreach (var (offset, value) in _acknowledged)
            {
                Assert.True(_committed.TryGetValue(offset, out int committed) && committed == value, $"{Where}: acknowledged offset {offset} not committed");
            }

            foreach (var follower in _replicas)
            {
                if (follower.Alive && follower.Id != _leader && follower.Synced)
                {
                    Assert.True(follower.LogEnd <= leader.LogEnd, $"{Where}: synced follower {follower.Id} ends past the leader");
                    for (int o = 0; o < follower.LogEnd; o++)
                    {
                        Assert.True(follower.Log[o] == leader.Log[o], $"{Where}: follower {follower.Id} differs from leader {leader.Id} at offset {o}");
                    }
                }
            }
        }
    }
}
