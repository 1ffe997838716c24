using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DescribeTransactions (key 65), v0.
/// Behavior: for each transactional id served by this broker's transaction coordinator: its state name
/// (Empty, Ongoing, PrepareCommit, ...), producer id and epoch, timeout, start time and the partitions of its
/// transaction; TRANSACTIONAL_ID_NOT_FOUND for an id it does not know, NOT_COORDINATOR /
/// COORDINATOR_LOAD_IN_PROGRESS for one it does not serve, INVALID_REQUEST for an empty id.
/// Simplified: no authorization (Kafka hides ids the client may not DESCRIBE); while markers are being written the
/// partitions listed are all of the transaction's, not only those still without a marker.
/// Version notes: v0 flexible (KIP-664).
/// </summary>
public sealed class DescribeTransactionsHandler(TransactionCoordinator coordinator) : ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>
{
    public override ApiKey ApiKey => ApiKey.DescribeTransactions;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<DescribeTransactionsResponse?> HandleAsync(RequestContext context, DescribeTransactionsRequest request)
    {
        var response = new DescribeTransactionsResponse();
        foreach (string transactionalId in request.TransactionalIds)
        {
            response.TransactionStates.Add(await coordinator.DescribeAsync(transactionalId).ConfigureAwait(false));
        }

        return response;
    }
}
