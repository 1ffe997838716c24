using System.Globalization;
using System.Net;

namespace Chronik.Server.Configuration;

/// <summary>A host name or IP address with a port; IPv6 literals are written in brackets ("[::1]:9092").</summary>
public readonly record struct HostPort(string Host, int Port)
{
    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}" : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True for 0.0.0.0 and ::, which bind every interface but cannot be connected to.</summary>
    public static bool IsWildcard(string host) =>
        IPAddress.TryParse(host, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any));

    /// <summary>
    /// Parses "HOST:PORT", "[V6]:PORT", or (when <paramref name="defaultPort"/> is given) "HOST", "[V6]" and
    /// a bare IPv6 literal. Returns null and a reason when the text is not an address.
    /// </summary>
    internal static HostPort? TryParse(string text, int? defaultPort, out string problem)
    {
        problem = "";
        string host;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                problem = "has an unclosed '['";
                return null;
            }

            host = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    problem = "is not HOST:PORT";
                    return null;
                }

                portText = rest[1..];
            }
        }
        else
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && text.IndexOf(':', colon + 1) >= 0)
            {
                host = text; // a bare IPv6 literal: no port possible without brackets
            }
            else if (colon >= 0)
            {
                host = text[..colon];
                portText = text[(colon + 1)..];
            }
            else
            {
                host = text;
            }
        }

        if (!IsValidHost(host))
        {
            problem = "does not start with a valid host name or IP address";
            return null;
        }

        int port;
        if (portText is null)
        {
            if (defaultPort is null)
            {
                problem = "has no port (expected HOST:PORT)";
                return null;
            }

            port = defaultPort.Value;
        }
        else if (!TryParsePort(portText, out port))
        {
            problem = $"has '{portText}' as port, which is not a port number (1-65535)";
            return null;
        }

        return new HostPort(host, port);
    }

    internal static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    internal static bool IsValidHost(string host) =>
        host.Length > 0 && Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6;
}
