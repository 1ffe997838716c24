namespace Chronik.Groups.Tests;

/// <summary>
/// A test that produces and consumes records: it runs once the broker has the data path (a Produce handler
/// in Chronik.Broker) and is reported as skipped, with the reason, before that.
/// </summary>
public sealed class RequiresDataPathFactAttribute : FactAttribute
{
    public RequiresDataPathFactAttribute()
    {
        if (typeof(Chronik.Broker.BrokerNode).Assembly.GetType("Chronik.Broker.Handlers.ProduceHandler") is null)
        {
            Skip = "needs the data path (Produce, ListOffsets, Fetch) in Chronik.Broker";
        }
    }
}
