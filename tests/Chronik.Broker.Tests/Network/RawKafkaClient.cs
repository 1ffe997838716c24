using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Chronik.Broker.Tests.Network;

/// <summary>A raw TCP client on 127.0.0.1 speaking only Kafka's size-prefixed framing.</summary>
public sealed class RawKafkaClient : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    private RawKafkaClient()
    {
    }

    public int Available => _socket.Available;

    public static async Task<RawKafkaClient> ConnectAsync(int port)
    {
        var client = new RawKafkaClient();
        await client._socket.ConnectAsync(IPAddress.Loopback, port);
        client._socket.NoDelay = true;
        return client;
    }

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None);

    /// <summary>Half-closes the connection: the server reads end of stream, responses can still arrive.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>The next response frame (without its size prefix), or null when the server closed the connection.</summary>
    public async Task<byte[]?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var prefix = new byte[4];
        if (!await ReadExactlyAsync(prefix, cts.Token))
        {
            return null;
        }

        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        return await ReadExactlyAsync(body, cts.Token) ? body : throw new IOException("connection closed inside a response frame");
    }

    /// <summary>True once the server has closed the connection (end of stream) with no further bytes.</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var one = new byte[1];
        try
        {
            return await _socket.ReceiveAsync(one, SocketFlags.None, cts.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            }
            catch (SocketException)
            {
                n = 0;
            }

            if (n == 0)
            {
                if (read == 0)
                {
                    return false;
                }

                throw new IOException("connection closed inside a frame");
            }

            read += n;
        }

        return true;
    }
}
