using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// ListTransactions (key 66), v0-1.
/// Behavior: the transactional ids of every __transaction_state partition this broker leads (admin clients ask
/// every broker), filtered by state names (unknown names are returned in unknown_state_filters), by producer ids
/// and (v1) by how long the transaction has been open; COORDINATOR_LOAD_IN_PROGRESS while one of the partitions
/// is still loading.
/// Simplified: no authorization (Kafka lists only ids the client may DESCRIBE).
/// Version notes: v0 flexible (KIP-664); v1 duration_filter (KIP-994).
/// </summary>
public sealed class ListTransactionsHandler(TransactionCoordinator coordinator) : ApiHandler<ListTransactionsRequest, ListTransactionsResponse>
{
    public override ApiKey ApiKey => ApiKey.ListTransactions;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<ListTransactionsResponse?> HandleAsync(RequestContext context, ListTransactionsRequest request) =>
        await coordinator.ListAsync(request.StateFilters, request.ProducerIdFilters, context.ApiVersion >= 1 ? request.DurationFilter : -1).ConfigureAwait(false);
}
