using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Network;

/// <summary>
/// One Kafka client connection: a read loop that cuts frames and hands them to the processor in
/// order, and a response pump that writes the answers strictly in request order.
/// </summary>
/// <remarks>
/// <para>Read loop: frames are processed on the thread the bytes arrived on (no queue hop): the
/// processor's synchronous part runs right there, its pending task joins the in-flight queue, and the
/// next frame in the same read is handled at once. Reading stops while
/// <see cref="KafkaListenerOptions.MaxInFlightRequestsPerConnection"/> requests are unanswered.</para>
/// <para>Response pump: at most one runs at a time. It writes every completed response at the head of
/// the queue and flushes once when it reaches an incomplete one (or the end), so responses that become
/// ready together leave in one flush. It is started inline by the read loop after each read, and
/// resumes on whatever thread completes the request it waits for.</para>
/// <para>Closing: the read loop stops (client closed, idle, shutdown, invalid frame, or a processor's
/// close), then every request already read is completed and, unless the close forbids it, answered;
/// then both pipes complete and Kestrel closes the socket.</para>
/// </remarks>
internal sealed class KafkaConnection
{
    private const int NotStopped = -1;

    /// <summary>
    /// The most bytes the read loop waits for at once while a large frame arrives. The transport hands data
    /// over in 4 KiB segments; without a minimum, each one would wake the read loop just to copy it, i.e. a
    /// few hundred thread-pool dispatches for one 1 MB produce request. A bound keeps the bytes the pipe holds
    /// for an unfinished frame small, whatever its size prefix announces.
    /// </summary>
    private const int MaxReadAhead = 1024 * 1024;

    private readonly ConnectionContext _transport;
    private readonly IKafkaRequestProcessor _processor;
    private readonly KafkaListenerOptions _options;
    private readonly KafkaNetworkMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RequestFrameReader _frames;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _requestsAborted = new();

    // _lock guards _inFlight and _pumpRunning; _pumpTask is only written by the read loop's thread of control.
    private readonly Lock _lock = new();
    private readonly Queue<InFlightRequest> _inFlight = new();
    private bool _pumpRunning;
    private Task _pumpTask = Task.CompletedTask;

    // Touched only by the (single) running pump.
    private bool _discardResponses;

    private int _stopReason = NotStopped;
    private int _inFlightCount;
    private long _lastActivity;

    public KafkaConnection(
        ConnectionContext transport,
        KafkaConnectionContext context,
        IKafkaRequestProcessor processor,
        KafkaListenerOptions options,
        KafkaNetworkMetrics metrics,
        ILogger logger,
        TimeProvider time)
    {
        _transport = transport;
        Context = context;
        _processor = processor;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _frames = new RequestFrameReader(options.MaxRequestSize);
        _slots = new SemaphoreSlim(options.MaxInFlightRequestsPerConnection, options.MaxInFlightRequestsPerConnection);
        _lastActivity = time.GetTimestamp();
    }

    public KafkaConnectionContext Context { get; }

    private bool StopRequested => Volatile.Read(ref _stopReason) != NotStopped;

    /// <summary>Serves the connection until it closes; never throws.</summary>
    public async Task RunAsync()
    {
        var lifetime = _transport.Features.Get<IConnectionLifetimeNotificationFeature>();
        using var shutdown = lifetime?.ConnectionClosedRequested.Register(
            static state => ((KafkaConnection)state!).RequestStop(ConnectionCloseReason.Shutdown), this);
        using var aborted = _transport.ConnectionClosed.Register(
            static state => ((KafkaConnection)state!).OnTransportClosed(), this);

        NetworkLog.ConnectionOpened(_logger, Context.ConnectionId);
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            RequestStop(ConnectionCloseReason.Aborted);
            NetworkLog.TransportFailed(_logger, Context.ConnectionId, ex);
        }
        finally
        {
            _frames.Reset();
            await DrainAsync().ConfigureAwait(false);
            await _transport.Transport.Output.CompleteAsync().ConfigureAwait(false);
            await _transport.Transport.Input.CompleteAsync().ConfigureAwait(false);
            RequestStop(ConnectionCloseReason.ClientClosed);
            var reason = (ConnectionCloseReason)Volatile.Read(ref _stopReason);
            _metrics.ConnectionClosed(reason);
            NetworkLog.ConnectionClosed(_logger, Context.ConnectionId, reason);
        }
    }

    /// <summary>Closes the connection if nothing is in flight and it has been silent for the idle timeout.</summary>
    public void CloseIfIdle()
    {
        if (Volatile.Read(ref _inFlightCount) == 0 &&
            _time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= _options.IdleTimeout)
        {
            RequestStop(ConnectionCloseReason.Idle);
        }
    }

    /// <summary>Stops reading; requests already read are still answered. The first reason wins.</summary>
    public void RequestStop(ConnectionCloseReason reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, (int)reason, NotStopped) == NotStopped)
        {
            _transport.Transport.Input.CancelPendingRead();
        }
    }

    private void OnTransportClosed()
    {
        RequestStop(ConnectionCloseReason.Aborted);
        CancelRequests();
    }

    /// <summary>
    /// The transport's close cancelled the pending read before it could report the end of the stream: a clean end
    /// (FIN) has completed the input by now, a reset completed it with an error. Only the clean end changes the reason.
    /// </summary>
    private void NoteCleanEnd(PipeReader input)
    {
        if (Volatile.Read(ref _stopReason) != (int)ConnectionCloseReason.Aborted)
        {
            return;
        }

        try
        {
            if (input.TryRead(out ReadResult rest))
            {
                if (rest.IsCompleted)
                {
                    Interlocked.CompareExchange(ref _stopReason, (int)ConnectionCloseReason.ClientClosed, (int)ConnectionCloseReason.Aborted);
                }

                input.AdvanceTo(rest.Buffer.Start);
            }
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException)
        {
            // A reset or an aborted transport: "aborted" stays the reason.
        }
    }

    private async Task ReadLoopAsync()
    {
        PipeReader input = _transport.Transport.Input;
        while (true)
        {
            // The rest of a started frame is awaited in one piece (every byte read so far was consumed).
            int missing = _frames.MissingBytes;
            ReadResult result = missing > 1
                ? await input.ReadAtLeastAsync(Math.Min(missing, MaxReadAhead)).ConfigureAwait(false)
                : await input.ReadAsync().ConfigureAwait(false);
            Volatile.Write(ref _lastActivity, _time.GetTimestamp());
            if (result.IsCompleted)
            {
                // The client ended its side cleanly (a reset throws instead). Kestrel may signal ConnectionClosed for
                // the same end before this loop runs, and OnTransportClosed then claimed "aborted" first: the clean
                // end of the stream is the truer reason.
                Interlocked.CompareExchange(ref _stopReason, (int)ConnectionCloseReason.ClientClosed, (int)ConnectionCloseReason.Aborted);
            }

            if (result.IsCanceled || StopRequested)
            {
                if (result.IsCanceled && !result.IsCompleted)
                {
                    input.AdvanceTo(result.Buffer.Start);
                    NoteCleanEnd(input);
                }

                return;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            long available = buffer.Length;
            try
            {
                while (!StopRequested)
                {
                    FrameReadStatus status = _frames.TryRead(ref buffer, out KafkaRequestFrame frame);
                    if (status == FrameReadStatus.NeedMoreData)
                    {
                        break;
                    }

                    if (status == FrameReadStatus.InvalidSize)
                    {
                        NetworkLog.InvalidFrameSize(_logger, Context.ConnectionId, _frames.RejectedSize, _options.MaxRequestSize);
                        RequestStop(ConnectionCloseReason.InvalidFrameSize);
                        break;
                    }

                    if (!await AcquireSlotAsync().ConfigureAwait(false) || StopRequested)
                    {
                        FrameBuffers.Return(frame.Buffer);
                        break;
                    }

                    Dispatch(frame);
                }
            }
            finally
            {
                _metrics.BytesReceived(available - buffer.Length);
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            // One pump start per read: every response that is ready now leaves in a single flush.
            StartPumpIfNeeded();
            if (StopRequested)
            {
                return;
            }

            if (result.IsCompleted)
            {
                RequestStop(ConnectionCloseReason.ClientClosed);
                return;
            }
        }
    }

    private async ValueTask<bool> AcquireSlotAsync()
    {
        if (_slots.Wait(0))
        {
            return true;
        }

        // At the in-flight bound: stop reading (TCP backpressure) until the pump answers the oldest request.
        StartPumpIfNeeded();
        try
        {
            await _slots.WaitAsync(_requestsAborted.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Dispatch(KafkaRequestFrame frame)
    {
        string api = KafkaApiNames.Get(frame.ApiKey);
        _metrics.RequestStarted(api);
        Interlocked.Increment(ref _inFlightCount);
        long started = _time.GetTimestamp();
        ValueTask<KafkaResponse> response;
        try
        {
            response = _processor.ProcessAsync(Context, frame, _requestsAborted.Token);
        }
        catch (Exception ex)
        {
            response = ValueTask.FromException<KafkaResponse>(ex);
        }

        lock (_lock)
        {
            _inFlight.Enqueue(new InFlightRequest(frame.Buffer, frame.ApiKey, api, started, response));
        }
    }

    private void StartPumpIfNeeded()
    {
        lock (_lock)
        {
            if (_pumpRunning || _inFlight.Count == 0)
            {
                return;
            }

            _pumpRunning = true;
        }

        _pumpTask = PumpAsync();
    }

    private async Task PumpAsync()
    {
        PipeWriter output = _transport.Transport.Output;
        bool unflushed = false;
        while (true)
        {
            InFlightRequest next;
            bool haveNext;
            lock (_lock)
            {
                haveNext = _inFlight.TryPeek(out next);
                if (!haveNext && !unflushed)
                {
                    _pumpRunning = false;
                    return;
                }
            }

            if (!haveNext || !next.Response.IsCompleted)
            {
                if (unflushed)
                {
                    await FlushAsync(output).ConfigureAwait(false);
                    unflushed = false;
                }

                if (!haveNext)
                {
                    continue;
                }
            }

            KafkaResponse response;
            Exception? failure = null;
            try
            {
                response = await next.Response.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ex;
                response = KafkaResponse.CloseConnection;
            }

            lock (_lock)
            {
                _inFlight.Dequeue();
            }

            unflushed |= Complete(next, response, failure, output);
        }
    }

    /// <summary>Writes (or discards) one response and releases the request's resources. True when bytes were written.</summary>
    private bool Complete(in InFlightRequest request, KafkaResponse response, Exception? failure, PipeWriter output)
    {
        bool wrote = false;
        try
        {
            if (response.Body is { } body)
            {
                try
                {
                    if (!_discardResponses)
                    {
                        ReadOnlySpan<byte> frame = body.GetFrame();
                        output.Write(frame);
                        _metrics.BytesSent(frame.Length);
                        wrote = true;
                    }
                }
                finally
                {
                    body.Dispose();
                }
            }
        }
        catch (Exception ex)
        {
            // The output pipe refused the write (transport gone): nothing more can be sent.
            NetworkLog.WriterFailed(_logger, Context.ConnectionId, ex);
            DiscardFurtherResponses(ConnectionCloseReason.Aborted);
        }

        if (response.CloseAfter && !_discardResponses)
        {
            if (failure is not null)
            {
                NetworkLog.ProcessorFailed(_logger, Context.ConnectionId, request.ApiKey, failure);
            }

            DiscardFurtherResponses(failure is null ? ConnectionCloseReason.ClosedByProcessor : ConnectionCloseReason.ProcessorFailed);
        }

        FrameBuffers.Return(request.FrameBuffer);
        _metrics.RequestFinished(request.Api, _time.GetElapsedTime(request.StartTimestamp));
        Interlocked.Decrement(ref _inFlightCount);
        _slots.Release();
        return wrote;
    }

    private async ValueTask FlushAsync(PipeWriter output)
    {
        try
        {
            FlushResult result = await output.FlushAsync().ConfigureAwait(false);
            Volatile.Write(ref _lastActivity, _time.GetTimestamp());
            if (result.IsCompleted || result.IsCanceled)
            {
                DiscardFurtherResponses(ConnectionCloseReason.Aborted);
            }
        }
        catch (Exception ex)
        {
            NetworkLog.TransportFailed(_logger, Context.ConnectionId, ex);
            DiscardFurtherResponses(ConnectionCloseReason.Aborted);
        }
    }

    private void DiscardFurtherResponses(ConnectionCloseReason reason)
    {
        _discardResponses = true;
        RequestStop(reason);
        CancelRequests();
    }

    private void CancelRequests()
    {
        try
        {
            _requestsAborted.Cancel();
        }
        catch (AggregateException)
        {
            // A processor's cancellation callback threw; the connection is closing anyway.
        }
    }

    /// <summary>Waits until every request already read has been completed and answered or discarded.</summary>
    private async Task DrainAsync()
    {
        while (true)
        {
            StartPumpIfNeeded();
            Task pump;
            lock (_lock)
            {
                if (!_pumpRunning)
                {
                    if (_inFlight.Count == 0)
                    {
                        return;
                    }

                    continue;
                }

                pump = _pumpTask;
            }

            await pump.ConfigureAwait(false);
        }
    }

    private readonly record struct InFlightRequest(
        byte[] FrameBuffer,
        short ApiKey,
        string Api,
        long StartTimestamp,
        ValueTask<KafkaResponse> Response);
}
