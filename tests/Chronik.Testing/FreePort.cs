using System.Net;
using System.Net.Sockets;

namespace Chronik.Testing;

/// <summary>
/// Free loopback TCP ports for brokers the tests start. They come from below the kernel's ephemeral range: a port the
/// OS hands out for "port 0" is also the kind it gives to outgoing connections, so another test's client could take it
/// as its source port between the choice and the broker's bind (seen as "address already in use"). Each process starts
/// at a random point of the range and moves on, so parallel test processes rarely try the same port; every candidate is
/// bound once to check that it is free.
/// </summary>
public static class FreePort
{
    private const int RangeStart = 10_000;
    private static readonly int RangeEnd = EphemeralRangeStart();
    private static int _next = Random.Shared.Next(RangeEnd - RangeStart);

    /// <summary>A port that was free on 127.0.0.1 a moment ago.</summary>
    public static int Next() => Next(1)[0];

    /// <summary><paramref name="count"/> distinct free ports, all held open while choosing so none repeats.</summary>
    public static int[] Next(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            var ports = new int[count];
            for (int found = 0, tries = 0; found < count; tries++)
            {
                if (tries == RangeEnd - RangeStart)
                {
                    throw new InvalidOperationException($"no free loopback port in {RangeStart}-{RangeEnd - 1}");
                }

                int port = RangeStart + (int)((uint)Interlocked.Increment(ref _next) % (uint)(RangeEnd - RangeStart));
                var listener = new TcpListener(IPAddress.Loopback, port);
                try
                {
                    listener.Start();
                }
                catch (SocketException)
                {
                    continue;
                }

                listeners.Add(listener);
                ports[found++] = port;
            }

            return ports;
        }
        finally
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>The first port of Linux's ephemeral range (32768 by default, and where it cannot be read).</summary>
    private static int EphemeralRangeStart()
    {
        try
        {
            string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (range.Length == 2 && int.TryParse(range[0], out int low) && low > RangeStart + 1_000)
            {
                return low;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 32_768;
    }
}
