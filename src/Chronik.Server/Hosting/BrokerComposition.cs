using System.Net;
using System.Net.Sockets;
using Chronik.Broker;
using Chronik.Cluster.Quorum;
using Chronik.Server.Configuration;
using Chronik.Server.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Chronik.Server.Hosting;

/// <summary>Builds the broker's options from the server settings and registers it with the host.</summary>
public static class BrokerComposition
{
    public static void AddBroker(IServiceCollection services)
    {
        services.AddChronikBroker(provider => ToBrokerOptions(provider.GetRequiredService<ServerSettings>()));
        services.AddSingleton<IReadinessProbe, BrokerReadinessProbe>();

        // After the Kafka listener drained: fsync and close every partition log, write the checkpoints and the
        // clean-shutdown marker, so the next start recovers nothing.
        services.AddShutdownFlushHook("storage", (provider, _) =>
        {
            provider.GetRequiredService<BrokerNode>().Replicas.Shutdown();
            return ValueTask.CompletedTask;
        });
    }

    internal static BrokerOptions ToBrokerOptions(ServerSettings settings)
    {
        HostPort raft = settings.RaftAddress.Port == 0
            ? new HostPort("127.0.0.1", PickFreeLoopbackPort())
            : settings.RaftAddress;
        // The bootstrap voters: this node and its peers — or, when it joins, the peers alone (the voters it joins).
        var self = new QuorumPeer(settings.NodeId, raft.Host, raft.Port);
        var voters = settings.Join ? [] : new List<QuorumPeer> { self };
        foreach (RaftPeer peer in settings.Peers)
        {
            voters.Add(new QuorumPeer(peer.NodeId, peer.Address.Host, peer.Address.Port));
        }

        return new BrokerOptions
        {
            NodeId = settings.NodeId,
            DataDirectory = settings.DataDirectory,
            AdvertisedHost = settings.AdvertisedKafka.Host,
            AdvertisedPort = settings.AdvertisedKafka.Port,
            HttpEndpoint = settings.HttpListen.ToString(),
            Voters = voters,
            JoinQuorumAs = settings.Join ? self : null,
            RaftBindAddress = IPAddress.TryParse(raft.Host, out IPAddress? bind) ? bind : null,
            Configs = settings.Broker,
        };
    }

    private static int PickFreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Ready when the quorum has a leader and this broker is registered and unfenced.</summary>
    private sealed class BrokerReadinessProbe(BrokerNode node) : IReadinessProbe
    {
        public Readiness Check()
        {
            var readiness = node.Lifecycle.Readiness;
            return readiness.IsReady ? Readiness.Ready : Readiness.NotReady(readiness.Reason);
        }
    }
}
