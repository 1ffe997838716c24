using System.Net;
using System.Net.Sockets;

namespace Chronik.Testing;

/// <summary>Free loopback TCP ports, found by binding port 0.</summary>
public static class FreePort
{
    /// <summary>A port that was free on 127.0.0.1 a moment ago.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary><paramref name="count"/> distinct free ports, all held open while choosing so none repeats.</summary>
    public static int[] Next(int count)
    {
        var listeners = new TcpListener[count];
        try
        {
            var ports = new int[count];
            for (int i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
                ports[i] = ((IPEndPoint)listeners[i].LocalEndpoint).Port;
            }

            return ports;
        }
        finally
        {
            foreach (var l in listeners)
            {
                l?.Stop();
            }
        }
    }
}
