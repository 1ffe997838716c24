using Chronik.Broker.InterBroker;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Transactions;

/// <summary>
/// <see cref="ITransactionMarkerSender"/> of a broker: partitions it leads itself are written by its
/// <see cref="TransactionMarkerWriter"/> directly; others get a WriteTxnMarkers request over the broker's
/// connection to their leader (<see cref="BrokerConnections"/>).
/// </summary>
public sealed class BrokerTransactionMarkerSender(int nodeId, TransactionMarkerWriter local, BrokerConnections remote, TimeSpan requestTimeout) : ITransactionMarkerSender
{
    /// <summary>The highest WriteTxnMarkers version Chronik speaks.</summary>
    private const short MaxVersion = 1;

    public async Task<WriteTxnMarkersResponse.WritableTxnMarkerResult> SendAsync(int brokerId, WriteTxnMarkersRequest.WritableTxnMarker marker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        if (brokerId == nodeId)
        {
            return await local.WriteAsync(marker, timeout.Token).ConfigureAwait(false);
        }

        KafkaClientConnection connection = await remote.GetAsync(brokerId, timeout.Token).ConfigureAwait(false);
        short version = connection.NegotiatedVersion(ApiKey.WriteTxnMarkers, MaxVersion);
        if (version < 0)
        {
            throw new KafkaClientException(ErrorCode.UnsupportedVersion, $"broker {brokerId} does not serve WriteTxnMarkers");
        }

        var response = await connection.SendAsync<WriteTxnMarkersResponse>(new WriteTxnMarkersRequest { Markers = [marker] }, version, timeout.Token).ConfigureAwait(false);
        return response.Markers.FirstOrDefault(m => m.ProducerId == marker.ProducerId)
            ?? throw new KafkaClientException(ErrorCode.UnknownServerError, $"broker {brokerId} answered no marker result for producer {marker.ProducerId}");
    }
}
