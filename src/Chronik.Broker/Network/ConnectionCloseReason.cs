namespace Chronik.Broker.Network;

/// <summary>Why a Kafka connection ended; also the "reason" label of the closed-connections metric.</summary>
public enum ConnectionCloseReason
{
    /// <summary>The client closed its side.</summary>
    ClientClosed,

    /// <summary>The transport failed or was aborted (reset by peer, server abort).</summary>
    Aborted,

    /// <summary>Nothing in flight and no traffic for connections.max.idle.ms.</summary>
    Idle,

    /// <summary>The server is shutting down; in-flight requests were answered first.</summary>
    Shutdown,

    /// <summary>A size prefix was negative or larger than socket.request.max.bytes.</summary>
    InvalidFrameSize,

    /// <summary>The processor asked to close (e.g. an unparsable request or an unsupported version).</summary>
    ClosedByProcessor,

    /// <summary>The processor threw.</summary>
    ProcessorFailed,
}
