using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Chronik.Broker.Network;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.InterBroker;

/// <summary>
/// One Kafka-protocol connection from this broker to another: follower fetches, forwarded controller
/// requests, transaction markers. Requests are pipelined; responses arrive in request order and are
/// matched by correlation id. Versions are negotiated once with ApiVersions after connecting.
/// A connection that fails faults every pending request and stays failed: the owner reconnects.
/// </summary>
public sealed class KafkaClientConnection : IAsyncDisposable
{
    /// <summary>The KIP-511 client software name this connection introduces itself with; brokers recognise each other by it.</summary>
    public const string SoftwareName = "chronik-broker";

    private const int MaxResponseSize = 256 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly string _clientId;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<int, PendingRequest> _pending = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _readLoop;
    private Dictionary<ApiKey, (short Min, short Max)> _versions = [];
    private int _nextCorrelationId;
    private volatile Exception? _failure;

    private KafkaClientConnection(Socket socket, string clientId)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _clientId = clientId;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The host:port this connection goes to.</summary>
    public required string Endpoint { get; init; }

    /// <summary>False once the connection failed or was disposed.</summary>
    public bool IsHealthy => _failure is null && !_closed.IsCancellationRequested;

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> and negotiates API versions.</summary>
    public static async Task<KafkaClientConnection> ConnectAsync(string host, int port, string clientId, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new KafkaClientConnection(socket, clientId) { Endpoint = $"{host}:{port}" };
        try
        {
            var versions = await connection.SendAsync<ApiVersionsResponse>(
                new ApiVersionsRequest { ClientSoftwareName = SoftwareName, ClientSoftwareVersion = "1" }, 3, cancellationToken).ConfigureAwait(false);
            if (versions.ErrorCode != 0)
            {
                throw new KafkaClientException((ErrorCode)versions.ErrorCode, $"ApiVersions to {connection.Endpoint} failed");
            }

            var table = new Dictionary<ApiKey, (short, short)>();
            foreach (ApiVersionsResponse.ApiVersion v in versions.ApiKeys)
            {
                table[(ApiKey)v.ApiKey] = (v.MinVersion, v.MaxVersion);
            }

            connection._versions = table;
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The highest version of <paramref name="apiKey"/> both sides speak, capped at <paramref name="ourMax"/>
    /// (the version the caller's code was written for), or -1 when the peer does not serve the API.
    /// </summary>
    public short NegotiatedVersion(ApiKey apiKey, short ourMax)
    {
        if (!_versions.TryGetValue(apiKey, out var theirs))
        {
            return -1;
        }

        short version = Math.Min(ourMax, theirs.Max);
        return version >= theirs.Min ? version : (short)-1;
    }

    /// <summary>Sends <paramref name="request"/> at <paramref name="version"/> and awaits its response.</summary>
    public async Task<TResponse> SendAsync<TResponse>(IApiRequest request, short version, CancellationToken cancellationToken)
        where TResponse : IApiResponse, new()
    {
        ResponsePayload payload = await SendCoreAsync(request, version, pooled: false, cancellationToken).ConfigureAwait(false);
        var response = new TResponse();
        response.ReadFrom(payload.Body, version);
        return response;
    }

    /// <summary>
    /// Sends <paramref name="request"/> at <paramref name="version"/> and awaits its response, read into a pooled
    /// buffer: for large responses (a follower's fetches) whose data the caller consumes at once. The caller disposes
    /// the result when done with the response's bytes fields.
    /// </summary>
    public async Task<PooledResponse<TResponse>> SendPooledAsync<TResponse>(IApiRequest request, short version, CancellationToken cancellationToken)
        where TResponse : IApiResponse, new()
    {
        ResponsePayload payload = await SendCoreAsync(request, version, pooled: true, cancellationToken).ConfigureAwait(false);
        try
        {
            var response = new TResponse();
            response.ReadFrom(payload.Body, version);
            return new PooledResponse<TResponse>(response, payload.Buffer);
        }
        catch
        {
            FrameBuffers.Return(payload.Buffer);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new ObjectDisposedException(nameof(KafkaClientConnection)));
        await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _sendLock.Dispose();
        _closed.Dispose();
    }

    private async Task<ResponsePayload> SendCoreAsync(IApiRequest request, short version, bool pooled, CancellationToken cancellationToken)
    {
        ThrowIfFailed();
        var apiKey = (ApiKey)request.ApiKey;
        int correlationId = Interlocked.Increment(ref _nextCorrelationId);
        var pending = new PendingRequest(apiKey, version, pooled);
        _pending[correlationId] = pending;

        short headerVersion = ApiMessageTypes.RequestHeaderVersion(apiKey, version);
        var header = new RequestHeader { RequestApiKey = request.ApiKey, RequestApiVersion = version, CorrelationId = correlationId, ClientId = _clientId };
        int size = header.Size(headerVersion) + request.Size(version);
        byte[] frame = FrameBuffers.Rent(size + 4);
        try
        {
            BinaryPrimitives.WriteInt32BigEndian(frame, size);
            var writer = new KafkaWriter(frame.AsSpan(4, size));
            header.Write(ref writer, headerVersion);
            request.Write(ref writer, version);

            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(frame.AsMemory(0, size + 4), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            _pending.TryRemove(correlationId, out _);
            Fail(ex);
            ThrowIfFailed();
            throw;
        }
        finally
        {
            FrameBuffers.Return(frame);
        }

        using CancellationTokenRegistration registration = cancellationToken.Register(
            static state => ((PendingRequest)state!).Completion.TrySetCanceled(), pending);
        return await pending.Completion.Task.ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        byte[] sizeBuffer = new byte[4];
        byte[] correlationBuffer = new byte[4];
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                await _stream.ReadExactlyAsync(sizeBuffer, _closed.Token).ConfigureAwait(false);
                int size = BinaryPrimitives.ReadInt32BigEndian(sizeBuffer);
                if (size < 4 || size > MaxResponseSize)
                {
                    throw new IOException($"response of {size} bytes from {Endpoint} is out of bounds");
                }

                await _stream.ReadExactlyAsync(correlationBuffer, _closed.Token).ConfigureAwait(false);
                int correlationId = BinaryPrimitives.ReadInt32BigEndian(correlationBuffer);
                if (!_pending.TryRemove(correlationId, out PendingRequest? pending))
                {
                    throw new IOException($"response with unknown correlation id {correlationId} from {Endpoint}");
                }

                byte[] payload = pending.Pooled ? FrameBuffers.Rent(size) : new byte[size];
                try
                {
                    correlationBuffer.CopyTo(payload, 0);
                    await _stream.ReadExactlyAsync(payload.AsMemory(4, size - 4), _closed.Token).ConfigureAwait(false);

                    // The response header is the correlation id, plus a tagged-field section when flexible.
                    var reader = new KafkaReader(payload.AsMemory(0, size));
                    new ResponseHeader().Read(ref reader, ApiMessageTypes.ResponseHeaderVersion(pending.ApiKey, pending.Version));
                    if (!pending.Completion.TrySetResult(new ResponsePayload(payload, payload.AsMemory(reader.Position, size - reader.Position))) && pending.Pooled)
                    {
                        // The caller gave up waiting (cancelled): nobody will return the buffer.
                        FrameBuffers.Return(payload);
                    }
                }
                catch
                {
                    pending.Completion.TrySetException(new KafkaClientException(ErrorCode.NetworkException, $"reading a response from {Endpoint} failed"));
                    if (pending.Pooled)
                    {
                        FrameBuffers.Return(payload);
                    }

                    throw;
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private void Fail(Exception reason)
    {
        _failure ??= reason;
        if (!_closed.IsCancellationRequested)
        {
            try
            {
                _closed.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        _stream.Dispose();
        foreach (int id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out PendingRequest? pending))
            {
                pending.Completion.TrySetException(new KafkaClientException(ErrorCode.NetworkException, $"connection to {Endpoint} failed: {reason.Message}", reason));
            }
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new KafkaClientException(ErrorCode.NetworkException, $"connection to {Endpoint} failed: {failure.Message}", failure);
        }
    }

    /// <summary>A response as received: <see cref="Body"/> (after the response header) lies in <see cref="Buffer"/>.</summary>
    private readonly record struct ResponsePayload(byte[] Buffer, ReadOnlyMemory<byte> Body);

    private sealed class PendingRequest(ApiKey apiKey, short version, bool pooled)
    {
        public ApiKey ApiKey { get; } = apiKey;

        public short Version { get; } = version;

        /// <summary>The response is read into a buffer rented from <see cref="FrameBuffers"/> (<see cref="SendPooledAsync{TResponse}"/>).</summary>
        public bool Pooled { get; } = pooled;

        public TaskCompletionSource<ResponsePayload> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>A failed inter-broker request; <see cref="ErrorCode"/> is what a handler can answer with.</summary>
public sealed class KafkaClientException(ErrorCode errorCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorCode ErrorCode { get; } = errorCode;
}
