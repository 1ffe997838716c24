namespace Chronik.Broker.Network;

/// <summary>
/// The seam between the Kafka connection layer and the broker: it turns one request frame into one
/// response. The connection layer owns sockets, framing, ordering, limits and buffers; the processor
/// owns everything inside a frame (request header, dispatch, encoding the response).
/// </summary>
/// <remarks>
/// <para><b>Two-phase contract (Redpanda-style pipelining).</b> <see cref="ProcessAsync"/> is called on
/// the connection's read loop, in request order, one call at a time: request N+1 is handed over as soon
/// as its frame has been read and the call for request N has <i>returned</i> its (possibly incomplete)
/// <see cref="ValueTask{TResult}"/>. So everything the processor does before its first incomplete
/// await (validation, assigning offsets, taking a place in a queue) runs in request order; what it
/// awaits afterwards (an fsync, replication, a long-poll fetch) may overlap with later requests. The
/// connection writes the responses strictly in request order whatever order the tasks complete in.</para>
/// <para><b>Buffers.</b> <paramref name="request"/> points into a pooled buffer that stays valid until the
/// response of this request has been written (or discarded); the processor may keep slices of it until
/// its task completes, never longer. The response body is a <see cref="ResponseBuffer"/> the processor
/// rents; the connection returns it to the pool after writing it.</para>
/// <para><b>Failures.</b> A task that faults is treated like <see cref="KafkaResponse.CloseConnection"/>:
/// the earlier responses are written, then the connection is closed (Kafka closes a connection whose
/// request it cannot handle). Processors must observe <paramref name="cancellationToken"/>, which is
/// cancelled when the connection is gone or is being closed without further responses.</para>
/// </remarks>
public interface IKafkaRequestProcessor
{
    /// <summary>Handles one request frame (request header + body, without the 4-byte size prefix).</summary>
    ValueTask<KafkaResponse> ProcessAsync(KafkaConnectionContext connection, KafkaRequestFrame request, CancellationToken cancellationToken);
}
