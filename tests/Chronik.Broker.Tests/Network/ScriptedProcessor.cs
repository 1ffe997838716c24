using System.Collections.Concurrent;
using Chronik.Broker.Network;

namespace Chronik.Broker.Tests.Network;

/// <summary>A request processor driven by <see cref="TestFrames"/>: echoes, withholds, closes or throws on command.</summary>
public sealed class ScriptedProcessor : IKafkaRequestProcessor
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _gates = new();
    private readonly List<int> _started = [];
    private readonly List<int> _completed = [];

    /// <summary>Correlation ids in the order ProcessAsync was called.</summary>
    public IReadOnlyList<int> Started
    {
        get
        {
            lock (_started)
            {
                return [.. _started];
            }
        }
    }

    /// <summary>Correlation ids in the order their (gated) processing finished.</summary>
    public IReadOnlyList<int> Completed
    {
        get
        {
            lock (_completed)
            {
                return [.. _completed];
            }
        }
    }

    public KafkaConnectionContext? LastConnection { get; private set; }

    public void Release(int correlationId) => Gate(correlationId).TrySetResult();

    public ValueTask<KafkaResponse> ProcessAsync(KafkaConnectionContext connection, KafkaRequestFrame request, CancellationToken cancellationToken)
    {
        LastConnection = connection;
        int correlationId = request.CorrelationId;
        lock (_started)
        {
            _started.Add(correlationId);
        }

        var command = (TestCommand)request.Span[8];
        byte[] payload = request.Span[9..].ToArray();
        switch (command)
        {
            case TestCommand.EchoWhenReleased:
                return WhenReleasedAsync(correlationId, payload, cancellationToken);
            case TestCommand.NoResponse:
                return ValueTask.FromResult(KafkaResponse.None);
            case TestCommand.Close:
                return ValueTask.FromResult(KafkaResponse.CloseConnection);
            case TestCommand.Throw:
                throw new InvalidOperationException("scripted failure");
            case TestCommand.EchoThenClose:
                return ValueTask.FromResult(KafkaResponse.SendThenClose(Echo(correlationId, payload)));
            default:
                return ValueTask.FromResult(KafkaResponse.Send(Echo(correlationId, payload)));
        }
    }

    private static ResponseBuffer Echo(int correlationId, byte[] payload)
    {
        var buffer = ResponseBuffer.Rent(4 + payload.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), correlationId);
        buffer.Advance(4);
        payload.CopyTo(buffer.GetSpan(payload.Length));
        buffer.Advance(payload.Length);
        return buffer;
    }

    private TaskCompletionSource Gate(int correlationId) =>
        _gates.GetOrAdd(correlationId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async ValueTask<KafkaResponse> WhenReleasedAsync(int correlationId, byte[] payload, CancellationToken cancellationToken)
    {
        await Gate(correlationId).Task.WaitAsync(cancellationToken);
        lock (_completed)
        {
            _completed.Add(correlationId);
        }

        return KafkaResponse.Send(Echo(correlationId, payload));
    }
}
