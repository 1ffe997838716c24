using System.Globalization;
using System.Net;

namespace Chronik.Cluster.Quorum;

/// <summary>
/// A voter of the metadata quorum as configured: <c>ID@HOST:PORT</c> (the Raft listener of node ID).
/// Every node is given the same full voter list, itself included.
/// </summary>
public sealed record QuorumPeer(int NodeId, string Host, int Port)
{
    /// <summary>Parses <c>ID@HOST:PORT</c>; IPv6 hosts in brackets (<c>2@[::1]:9093</c>).</summary>
    public static QuorumPeer Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim();
        int at = s.IndexOf('@');
        int colon = s.LastIndexOf(':');
        if (at <= 0 || colon < at + 2 || colon == s.Length - 1)
        {
            throw new FormatException($"voter '{text}' is not ID@HOST:PORT");
        }

        if (!int.TryParse(s.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out int nodeId))
        {
            throw new FormatException($"voter '{text}': node id '{s[..at]}' is not a non-negative integer");
        }

        if (!int.TryParse(s.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new FormatException($"voter '{text}': port '{s[(colon + 1)..]}' is not in 1..65535");
        }

        string host = s[(at + 1)..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0)
        {
            throw new FormatException($"voter '{text}' has an empty host");
        }

        return new QuorumPeer(nodeId, host, port);
    }

    /// <summary>Parses a comma-separated voter list (<c>1@a:9093,2@b:9093</c>).</summary>
    public static IReadOnlyList<QuorumPeer> ParseList(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToArray();

    /// <summary>The Raft endpoint: an IP literal as <see cref="IPEndPoint"/>, a host name as <see cref="DnsEndPoint"/>.</summary>
    public EndPoint EndPoint => IPAddress.TryParse(Host, out IPAddress? address) ? new IPEndPoint(address, Port) : new DnsEndPoint(Host, Port);

    /// <summary>The voter <paramref name="nodeId"/> at a Raft endpoint as <see cref="EndPoint"/> gives it back.</summary>
    public static QuorumPeer FromEndPoint(int nodeId, EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => new QuorumPeer(nodeId, ip.Address.ToString(), ip.Port),
        DnsEndPoint dns => new QuorumPeer(nodeId, dns.Host, dns.Port),
        _ => throw new ArgumentException($"{endPoint} is neither an IP nor a DNS endpoint", nameof(endPoint)),
    };

    public override string ToString() => Host.Contains(':') ? $"{NodeId}@[{Host}]:{Port}" : $"{NodeId}@{Host}:{Port}";

    /// <summary>A comparison key that is the same for the configured endpoint and the one Raft reports back.</summary>
    internal static string Key(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        DnsEndPoint dns => $"{dns.Host.ToLowerInvariant()}:{dns.Port}",
        _ => endPoint.ToString() ?? "",
    };
}
