using Chronik.Protocol.Wire;

namespace Chronik.Broker.Groups;

/// <summary>A request the coordinator refuses with a Kafka error (the handler answers it; nothing crashes).</summary>
public sealed class GroupCoordinatorException(ErrorCode error, string? message = null) : Exception(message ?? error.ToString())
{
    public ErrorCode Error { get; } = error;
}
