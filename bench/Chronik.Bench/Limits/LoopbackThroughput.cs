using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Chronik.Bench.Limits;

/// <summary>One TCP stream over 127.0.0.1 in this process: 1 MiB writes, the receiver counts bytes.</summary>
public static class LoopbackThroughput
{
    private const int ChunkSize = 1 << 20;

    /// <summary>MB/s (10^6 bytes) received over <paramref name="duration"/>.</summary>
    public static async Task<double> MeasureAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptSocketAsync(cancellationToken).AsTask();
        await sender.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        using var receiver = await accept;

        long received = 0;
        var receive = Task.Factory.StartNew(
            () =>
            {
                var buffer = new byte[ChunkSize];
                int n;
                while ((n = receiver.Receive(buffer)) > 0)
                {
                    received += n;
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        var chunk = new byte[ChunkSize];
        Random.Shared.NextBytes(chunk);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            sender.Send(chunk);
        }

        sender.Shutdown(SocketShutdown.Send);
        await receive;
        return received / clock.Elapsed.TotalSeconds / 1e6;
    }
}
