using Chronik.Protocol.Wire;

namespace Chronik.Broker.Coordinators;

/// <summary>
/// A response the coordinator answers later (a JoinGroup waiting for the rebalance, a SyncGroup waiting
/// for the leader's assignment). The state machine decides the response; the runtime delivers it, after
/// the records written by the same operation are durable.
/// </summary>
public abstract class PendingResponse
{
    /// <summary>Delivers the decided response.</summary>
    internal abstract void Deliver();

    /// <summary>Delivers the error response instead (records not durable, coordinator unloaded).</summary>
    internal abstract void Fail(ErrorCode error);
}

/// <summary>A pending response of type <typeparamref name="T"/>; <see cref="Task"/> completes when it is delivered.</summary>
public sealed class PendingResponse<T> : PendingResponse
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<ErrorCode, T> _error;
    private T? _decided;
    private bool _isDecided;

    public PendingResponse(Func<ErrorCode, T> error)
    {
        _error = error;
    }

    public Task<T> Task => _completion.Task;

    /// <summary>Whether a response was decided (a pending response is answered once).</summary>
    public bool IsDecided => _isDecided;

    /// <summary>Decides the response; the runtime delivers it with the effects of the current operation.</summary>
    internal void Decide(T response)
    {
        _decided = response;
        _isDecided = true;
    }

    internal override void Deliver() => _completion.TrySetResult(_decided!);

    internal override void Fail(ErrorCode error) => _completion.TrySetResult(_error(error));
}
