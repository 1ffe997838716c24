using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// ListGroups (key 16), v0-5.
/// Behavior: the groups of the __consumer_offsets partitions this broker coordinates (admin clients ask
/// every broker and merge), with their protocol type; v4 state and v5 type filters match Kafka's names
/// case-insensitively (states Empty, PreparingRebalance, CompletingRebalance, Stable, Dead for classic
/// groups; Empty, Assigning, Reconciling, Stable for consumer groups; types classic, consumer). While a
/// partition is still loading the answer is COORDINATOR_LOAD_IN_PROGRESS with the groups known so far.
/// Version notes: v1 throttle time; v3 flexible; v4 StatesFilter / GroupState (KIP-518); v5 TypesFilter /
/// GroupType (KIP-848).
/// </summary>
public sealed class ListGroupsHandler(GroupCoordinator coordinator) : ApiHandler<ListGroupsRequest, ListGroupsResponse>
{
    public override ApiKey ApiKey => ApiKey.ListGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<ListGroupsResponse?> HandleAsync(RequestContext context, ListGroupsRequest request)
    {
        HashSet<string> states = context.ApiVersion >= 4 ? [.. request.StatesFilter.Select(s => s.ToLowerInvariant())] : [];
        HashSet<string> types = context.ApiVersion >= 5 ? [.. request.TypesFilter.Select(s => s.ToLowerInvariant())] : [];
        var response = new ListGroupsResponse();
        for (int partition = 0; partition < coordinator.PartitionCount; partition++)
        {
            if (coordinator.StateOf(partition) == CoordinatorPartitionState.Loading)
            {
                response.ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress;
                continue;
            }

            if (coordinator.StateOf(partition) != CoordinatorPartitionState.Active)
            {
                continue;
            }

            List<ListGroupsResponse.ListedGroup> groups = await coordinator.ExecuteOnPartitionAsync(
                partition,
                shard => shard.ListGroups(states, types).ToList(),
                _ => []).ConfigureAwait(false);
            response.Groups.AddRange(groups);
        }

        return response;
    }
}
