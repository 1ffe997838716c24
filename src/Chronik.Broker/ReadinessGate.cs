namespace Chronik.Broker;

/// <summary>
/// Opens once, when this broker is first registered and unfenced. Until then requests that depend on
/// metadata wait instead of being answered from an empty image — an earlier broker answered Metadata
/// without brokers at start-up and clients never bootstrapped.
/// </summary>
public sealed class ReadinessGate
{
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => _opened.Task.IsCompleted;

    public Task WhenOpen => _opened.Task;

    public void Open() => _opened.TrySetResult();
}
