namespace Chronik.Broker;

/// <summary>Kafka's internal topics: hidden from nothing, but flagged is_internal and protected.</summary>
public static class InternalTopics
{
    public const string ConsumerOffsets = "__consumer_offsets";
    public const string TransactionState = "__transaction_state";

    public static bool IsInternal(string topic) => topic is ConsumerOffsets or TransactionState;
}
