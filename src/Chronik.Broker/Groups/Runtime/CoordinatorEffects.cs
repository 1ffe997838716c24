using Chronik.Broker.Groups.Records;

namespace Chronik.Broker.Groups.Runtime;

/// <summary>
/// What one operation of a shard produced besides its direct result: records to append to the
/// partition and pending responses to deliver once those records are durable (immediately when there
/// are none). The shard fills it; the runtime drains it after every operation.
/// </summary>
public sealed class CoordinatorEffects
{
    private List<CoordinatorRecord> _records = [];
    private List<PendingResponse> _responses = [];

    public IReadOnlyList<CoordinatorRecord> Records => _records;

    public IReadOnlyList<PendingResponse> Responses => _responses;

    public bool IsEmpty => _records.Count == 0 && _responses.Count == 0;

    public void Append(CoordinatorRecord record) => _records.Add(record);

    /// <summary>Decides <paramref name="pending"/> with <paramref name="response"/>, delivered with these effects.</summary>
    public void Respond<T>(PendingResponse<T> pending, T response)
    {
        if (pending.IsDecided)
        {
            return;
        }

        pending.Decide(response);
        _responses.Add(pending);
    }

    /// <summary>Takes everything collected so far and starts empty.</summary>
    public (List<CoordinatorRecord> Records, List<PendingResponse> Responses) Drain()
    {
        var taken = (_records, _responses);
        _records = [];
        _responses = [];
        return taken;
    }
}
