using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Controller;

/// <summary>
/// The controller's view of broker sessions: when each broker last registered or heartbeat. Held in
/// memory by the active controller only (as Kafka's BrokerHeartbeatManager); a new controller starts
/// every registered broker with a fresh session so a failover never fences live brokers.
/// </summary>
public sealed class BrokerHeartbeatTracker(TimeProvider time, TimeSpan sessionTimeout)
{
    private readonly Dictionary<int, long> _lastContact = [];

    public TimeSpan SessionTimeout => sessionTimeout;

    /// <summary>Forgets all sessions and gives every broker of <paramref name="image"/> a fresh one.</summary>
    public void Reset(MetadataImage image)
    {
        _lastContact.Clear();
        long now = time.GetTimestamp();
        foreach (int brokerId in image.Brokers.Keys)
        {
            _lastContact[brokerId] = now;
        }
    }

    /// <summary>Records contact (registration or heartbeat) from <paramref name="brokerId"/> now.</summary>
    public void Touch(int brokerId) => _lastContact[brokerId] = time.GetTimestamp();

    public void Remove(int brokerId) => _lastContact.Remove(brokerId);

    /// <summary>Whether <paramref name="brokerId"/> was heard from within the session timeout.</summary>
    public bool HasActiveSession(int brokerId) =>
        _lastContact.TryGetValue(brokerId, out long last) && time.GetElapsedTime(last) < sessionTimeout;

    /// <summary>Unfenced brokers of <paramref name="image"/> whose session expired, in id order. Brokers not yet tracked start a session now.</summary>
    public List<BrokerRegistration> ExpiredUnfenced(MetadataImage image)
    {
        var expired = new List<BrokerRegistration>();
        foreach (BrokerRegistration broker in image.Brokers.Values)
        {
            if (!_lastContact.ContainsKey(broker.BrokerId))
            {
                Touch(broker.BrokerId);
            }
            else if (!broker.Fenced && !HasActiveSession(broker.BrokerId))
            {
                expired.Add(broker);
            }
        }

        return expired;
    }
}
