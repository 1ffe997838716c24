using Chronik.Broker.Network;
using Chronik.Server.Http;

namespace Chronik.Server.Hosting;

/// <summary>
/// PLACEHOLDER until the broker's request processor lands (the lead replaces this registration in
/// Program when merging the broker): it answers no Kafka request and closes every connection after its
/// first request — what Kafka does with a request it cannot handle — and keeps /health/ready at 503,
/// so nothing mistakes this node for a working broker.
/// </summary>
public sealed class UnsupportedRequestProcessor : IKafkaRequestProcessor, IReadinessProbe
{
    public ValueTask<KafkaResponse> ProcessAsync(KafkaConnectionContext connection, KafkaRequestFrame request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(KafkaResponse.CloseConnection);

    public Readiness Check() => Readiness.NotReady("no Kafka request processor is wired in yet (placeholder until the broker lands)");
}
