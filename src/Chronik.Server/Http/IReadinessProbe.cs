namespace Chronik.Server.Http;

/// <summary>The answer of one readiness probe; <see cref="Reason"/> says what is missing when not ready.</summary>
public readonly record struct Readiness(bool IsReady, string Reason)
{
    public static Readiness Ready { get; } = new(true, "ready");

    public static Readiness NotReady(string reason) => new(false, reason);
}

/// <summary>
/// One condition for "this node serves Kafka requests" (GET /health/ready). The node is ready when every
/// registered probe is; the first one that is not supplies the reason in the 503 response. The cluster
/// layer contributes "quorum has a leader, this broker is registered and unfenced".
/// </summary>
public interface IReadinessProbe
{
    /// <summary>Current state; called per request, so keep it cheap and non-blocking.</summary>
    Readiness Check();
}
