using System.Net;
using System.Net.Sockets;

namespace Chronik.Server.DevCluster;

/// <summary>The three ports of one dev-cluster node.</summary>
public readonly record struct NodePorts(int NodeId, int Kafka, int Http, int Raft);

/// <summary>
/// Ports for a local cluster that cannot collide. Every node gets its own three ports and every port is
/// passed to its node explicitly; nothing is derived from another node's port (the earlier broker
/// derived the Raft port from the Kafka port, and neighbouring nodes collided).
/// Without a base port the operating system picks free loopback ports (all held at once while choosing,
/// so no two are equal). With a base port B the block B .. B + 3N - 1 is used, node i (1-based) taking
/// Kafka B + 3(i-1), HTTP B + 3(i-1) + 1 and Raft B + 3(i-1) + 2; every port of the block is checked
/// free first, and a taken one is refused by name.
/// </summary>
public static class DevClusterPorts
{
    /// <summary>Ports for nodes 1..<paramref name="nodes"/>; throws <see cref="DevClusterException"/> naming a taken or out-of-range port.</summary>
    public static IReadOnlyList<NodePorts> Allocate(int nodes, int? basePort)
    {
        int[] ports = basePort is { } first ? Block(nodes, first) : PickFree(nodes * 3);
        var result = new NodePorts[nodes];
        for (int i = 0; i < nodes; i++)
        {
            result[i] = new NodePorts(i + 1, ports[3 * i], ports[(3 * i) + 1], ports[(3 * i) + 2]);
        }

        return result;
    }

    private static int[] Block(int nodes, int basePort)
    {
        int last = basePort + (3 * nodes) - 1;
        if (basePort < 1024 || last > 65535)
        {
            throw new DevClusterException($"--base-port {basePort}: the block {basePort}-{last} must lie within 1024-65535");
        }

        int[] ports = [.. Enumerable.Range(basePort, 3 * nodes)];
        foreach (int port in ports)
        {
            if (!IsFree(port))
            {
                throw new DevClusterException($"--base-port {basePort}: port {port} of the block {basePort}-{last} is in use; choose another base or omit --base-port to pick free ports");
            }
        }

        return ports;
    }

    private static int[] PickFree(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}

/// <summary>A dev-cluster that cannot start; the message is one line naming what to change.</summary>
public sealed class DevClusterException(string message) : Exception(message);
