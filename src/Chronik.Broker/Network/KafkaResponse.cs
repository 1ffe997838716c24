namespace Chronik.Broker.Network;

/// <summary>What the connection does after a request: send a body, send nothing, or close.</summary>
public readonly struct KafkaResponse
{
    private KafkaResponse(ResponseBuffer? body, bool closeAfter)
    {
        Body = body;
        CloseAfter = closeAfter;
    }

    /// <summary>No response (e.g. a Produce with acks=0); the next response follows as usual.</summary>
    public static KafkaResponse None => default;

    /// <summary>
    /// Close the connection after the responses of all earlier requests have been written; responses of
    /// later requests are discarded. Kafka's way of rejecting a request it cannot parse or answer.
    /// </summary>
    public static KafkaResponse CloseConnection => new(null, closeAfter: true);

    /// <summary>The encoded response (response header with the correlation id, then the body).</summary>
    public ResponseBuffer? Body { get; }

    /// <summary>True when the connection closes once this response (if any) has been written.</summary>
    public bool CloseAfter { get; }

    /// <summary>Send <paramref name="body"/>; the connection disposes it after writing.</summary>
    public static KafkaResponse Send(ResponseBuffer body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return new KafkaResponse(body, closeAfter: false);
    }

    /// <summary>Send <paramref name="body"/>, then close (e.g. after a failed SASL authentication).</summary>
    public static KafkaResponse SendThenClose(ResponseBuffer body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return new KafkaResponse(body, closeAfter: true);
    }
}
