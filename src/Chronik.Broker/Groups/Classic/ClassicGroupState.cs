namespace Chronik.Broker.Groups.Classic;

/// <summary>
/// States of a classic group (Kafka's ClassicGroupState). Transitions:
/// Empty → PreparingRebalance (first join); PreparingRebalance → CompletingRebalance (join phase done,
/// new generation) or Empty (nobody rejoined); CompletingRebalance → Stable (leader's SyncGroup) or
/// PreparingRebalance (member change); Stable → PreparingRebalance (join, leave, expiry, metadata change);
/// any → Dead (deleted or unloaded).
/// </summary>
public enum ClassicGroupState
{
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}
