namespace Chronik.Testing;

/// <summary>
/// Every harness hands clients loopback addresses only: a bare "10" given as a bootstrap address
/// resolves off the machine (0.0.0.10), so anything that is not 127.0.0.1 / localhost / [::1]
/// with an explicit port is refused before a client sees it.
/// </summary>
public static class Loopback
{
    public const string Host = "127.0.0.1";

    /// <summary>"127.0.0.1:port" after checking the port.</summary>
    public static string Address(int port) => Bootstrap($"{Host}:{port}");

    /// <summary>Returns <paramref name="bootstrap"/> unchanged if every entry is a loopback host:port; throws otherwise.</summary>
    public static string Bootstrap(string bootstrap)
    {
        foreach (string entry in bootstrap.Split(',', StringSplitOptions.TrimEntries))
        {
            int colon = entry.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(entry[(colon + 1)..], out int port) || port is <= 0 or > 65535)
            {
                throw new ArgumentException($"refusing bootstrap entry '{entry}': not host:port");
            }

            string host = entry[..colon].Trim('[', ']');
            bool loopback = host is "127.0.0.1" or "::1" || host.Equals("localhost", StringComparison.OrdinalIgnoreCase);
            if (!loopback)
            {
                throw new ArgumentException($"refusing bootstrap entry '{entry}': tests talk to 127.0.0.1, localhost or [::1] only");
            }
        }

        return bootstrap;
    }
}
