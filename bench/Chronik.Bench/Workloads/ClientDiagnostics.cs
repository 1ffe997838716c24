using Confluent.Kafka;

namespace Chronik.Bench.Workloads;

/// <summary>
/// Keeps what a client said that explains a failure: the first error and the last few warnings
/// from librdkafka's log, so a failed scenario reports a reason rather than "timed out".
/// </summary>
public sealed class ClientDiagnostics
{
    private const int KeptLines = 3;
    private readonly Queue<string> _lines = new();
    private string? _firstError;
    private volatile bool _brokerLacksApi;

    public void OnError(Error error) => Remember($"error {error.Code}: {error.Reason}", isError: true);

    /// <summary>
    /// librdkafka said the broker lacks an API version it needs (e.g. "No viable ProduceRequest
    /// ApiVersions ... supported by broker"): waiting longer cannot help.
    /// </summary>
    public bool BrokerLacksApi => _brokerLacksApi;

    public void OnLog(LogMessage message)
    {
        if (message.Level <= SyslogLevel.Warning)
        {
            Remember($"{message.Facility}: {message.Message}", isError: false);
        }
    }

    /// <summary>A delivery or consume error with the record's context.</summary>
    public void OnFailure(string text) => Remember(text, isError: true);

    /// <summary>The first error and the latest warnings, one line, or "nothing reported".</summary>
    public string Summary()
    {
        lock (_lines)
        {
            var parts = new List<string>();
            if (_firstError is not null)
            {
                parts.Add(_firstError);
            }

            parts.AddRange(_lines.Where(l => l != _firstError));
            return parts.Count == 0 ? "the client reported nothing" : string.Join(" | ", parts);
        }
    }

    private void Remember(string line, bool isError)
    {
        lock (_lines)
        {
            if (isError)
            {
                _firstError ??= line;
            }

            if (line.Contains("supported by broker", StringComparison.Ordinal))
            {
                _brokerLacksApi = true;
            }

            if (_lines.Contains(line))
            {
                return;
            }

            _lines.Enqueue(line);
            while (_lines.Count > KeptLines)
            {
                _lines.Dequeue();
            }
        }
    }
}
