using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Partitions;

/// <summary>
/// Metrics of the data path (meter "Chronik.Broker", Kafka's BrokerTopicMetrics): bytes in and out and messages
/// in per topic, produce and fetch partition requests by outcome, hosted partitions, and log size per partition.
/// Prometheus names (see src/Chronik.Server/README.md): chronik_topic_received_bytes_total{topic},
/// chronik_topic_sent_bytes_total{topic}, chronik_topic_received_messages_total{topic},
/// chronik_produce_requests_total{outcome}, chronik_fetch_requests_total{outcome}, chronik_partitions,
/// chronik_partitions_leader, chronik_log_size_bytes{topic,partition}; replication:
/// chronik_partitions_under_replicated, chronik_partitions_under_min_isr (led partitions whose ISR is smaller than
/// the replica set / the effective min.insync.replicas), chronik_isr_expands_total, chronik_isr_shrinks_total
/// (ISR changes this broker's leaders proposed).
/// Counters take the topic string the partition already holds and preallocated outcome labels: no allocation.
/// </summary>
public sealed class BrokerTopicMetrics
{
    public const string MeterName = "Chronik.Broker";

    private static readonly ConcurrentDictionary<ErrorCode, string> OutcomeLabels = new();

    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _messagesIn;
    private readonly Counter<long> _produceRequests;
    private readonly Counter<long> _fetchRequests;

    public BrokerTopicMetrics(IMeterFactory meterFactory, ReplicaManager replicas)
    {
        var meter = meterFactory.Create(MeterName);
        _bytesIn = meter.CreateCounter<long>("chronik.topic.received", "By", "Record bytes appended by produce requests, by topic.");
        _bytesOut = meter.CreateCounter<long>("chronik.topic.sent", "By", "Record bytes returned by fetch requests, by topic.");
        _messagesIn = meter.CreateCounter<long>("chronik.topic.received.messages", "{message}", "Records appended by produce requests, by topic.");
        _produceRequests = meter.CreateCounter<long>("chronik.produce.requests", "{partition}", "Partitions of produce requests, by outcome (success or the Kafka error).");
        _fetchRequests = meter.CreateCounter<long>("chronik.fetch.requests", "{partition}", "Partitions of fetch responses, by outcome (success or the Kafka error).");
        meter.CreateObservableGauge("chronik.partitions", () => replicas.IsStarted ? replicas.Partitions.Count : 0, "{partition}", "Partitions hosted by this broker.");
        meter.CreateObservableGauge("chronik.partitions.leader", () => CountLeaders(replicas), "{partition}", "Partitions this broker leads.");
        meter.CreateObservableGauge("chronik.log.size", () => LogSizes(replicas), "By", "Bytes in each partition's log segments.");
        meter.CreateObservableGauge("chronik.partitions.under_replicated", () => Count(replicas, static p => p.IsUnderReplicated), "{partition}", "Led partitions whose ISR is smaller than their replica set.");
        meter.CreateObservableGauge("chronik.partitions.under_min_isr", () => Count(replicas, static p => p.IsUnderMinIsr), "{partition}", "Led partitions whose ISR is below min.insync.replicas (acks=all refused).");
        meter.CreateObservableCounter("chronik.isr.expands", () => replicas.AlterPartitions?.Expansions ?? 0, "{change}", "ISR expansions proposed by this broker's leaders.");
        meter.CreateObservableCounter("chronik.isr.shrinks", () => replicas.AlterPartitions?.Shrinks ?? 0, "{change}", "ISR shrinks proposed by this broker's leaders.");
    }

    public void RecordProduced(string topic, int bytes, int records)
    {
        var tag = new KeyValuePair<string, object?>("topic", topic);
        _bytesIn.Add(bytes, tag);
        _messagesIn.Add(records, tag);
    }

    public void RecordFetched(string topic, int bytes) => _bytesOut.Add(bytes, new KeyValuePair<string, object?>("topic", topic));

    public void RecordProduceOutcome(ErrorCode error) => _produceRequests.Add(1, new KeyValuePair<string, object?>("outcome", Outcome(error)));

    public void RecordFetchOutcome(ErrorCode error) => _fetchRequests.Add(1, new KeyValuePair<string, object?>("outcome", Outcome(error)));

    /// <summary>"success" or the error's Kafka name in snake case ("not_leader_or_follower"), allocated once per code.</summary>
    internal static string Outcome(ErrorCode error) => error == ErrorCode.None ? "success" : OutcomeLabels.GetOrAdd(error, SnakeCase);

    private static string SnakeCase(ErrorCode error)
    {
        string name = error.ToString();
        var builder = new System.Text.StringBuilder(name.Length + 8);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }

    private static int CountLeaders(ReplicaManager replicas) => Count(replicas, static p => p.IsLeader);

    private static int Count(ReplicaManager replicas, Func<Partition, bool> predicate)
    {
        if (!replicas.IsStarted)
        {
            return 0;
        }

        int count = 0;
        foreach (var partition in replicas.Partitions)
        {
            if (predicate(partition))
            {
                count++;
            }
        }

        return count;
    }

    private static IEnumerable<Measurement<long>> LogSizes(ReplicaManager replicas)
    {
        if (!replicas.IsStarted)
        {
            yield break;
        }

        foreach (var partition in replicas.Partitions)
        {
            yield return new Measurement<long>(
                partition.Log.Size,
                new KeyValuePair<string, object?>("topic", partition.Topic),
                new KeyValuePair<string, object?>("partition", partition.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }
}
