using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>A Kafka error code with Kafka's kind of message, as carried per item in controller results.</summary>
public readonly record struct ApiError(ErrorCode Code, string? Message = null)
{
    public static ApiError None => default;

    public bool IsError => Code != ErrorCode.None;

    public override string ToString() => Message is null ? Code.ToString() : $"{Code}: {Message}";
}
