using System.Net.Sockets;
using Chronik.Cluster.Quorum;
using Chronik.Server.Configuration;
using Microsoft.AspNetCore.Connections;

namespace Chronik.Server.Hosting;

/// <summary>
/// Turns a failure to bind a listener into one line that names the setting to change, e.g.
/// "kafka port 9092 is in use; set --kafka-port (or CHRONIK_KAFKA_PORT / kafka_port in the config file) to a free port".
/// </summary>
public static class StartupFailure
{
    /// <summary>The line for a port that is taken.</summary>
    public static string PortInUse(string what, int port, ServerSettingDefinition setting) =>
        $"{what} port {port} is in use; set {Spell(setting)} to a free port";

    /// <summary>"--kafka-port (or CHRONIK_KAFKA_PORT / kafka_port in the config file)".</summary>
    public static string Spell(ServerSettingDefinition setting) =>
        $"{setting.Flag} (or {setting.EnvironmentVariable} / {setting.Key} in the config file)";

    /// <summary>The one-line description of a Kestrel bind failure, or null if <paramref name="exception"/> is something else.</summary>
    internal static string? DescribeBindFailure(Exception exception, ServerSettings settings)
    {
        bool inUse = false;
        string? bindMessage = null;
        if (FindQuorumStartFailure(exception) is { } quorumFailure)
        {
            return quorumFailure.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
                ? PortInUse("raft", settings.RaftAddress.Port, ServerSettingDefinitions.RaftAddr)
                : $"the metadata quorum cannot start: {quorumFailure.Message}";
        }

        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            inUse |= e is AddressInUseException || e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse };
            if (e is IOException && e.Message.StartsWith("Failed to bind", StringComparison.Ordinal))
            {
                bindMessage = e.Message;
            }
        }

        if (bindMessage is null && !inUse)
        {
            return null;
        }

        string reason = exception.InnerException?.Message ?? exception.Message;
        var listeners = new[]
        {
            ("kafka", settings.KafkaListen, ServerSettingDefinitions.KafkaPort, ServerSettingDefinitions.BindAddr),
            ("http", settings.HttpListen, ServerSettingDefinitions.HttpPort, ServerSettingDefinitions.HttpBind),
        };
        foreach (var (what, listen, portSetting, hostSetting) in listeners)
        {
            // Kestrel names the endpoint it failed on: "Failed to bind to address http://0.0.0.0:9092: ...".
            string message = bindMessage ?? exception.Message;
            if (message.Contains($":{listen.Port}:", StringComparison.Ordinal) || message.EndsWith($":{listen.Port}", StringComparison.Ordinal))
            {
                return inUse
                    ? PortInUse(what, listen.Port, portSetting)
                    : $"cannot bind the {what} listener to {listen}: {reason}; check {hostSetting.Flag} and {portSetting.Flag}";
            }
        }

        return $"cannot bind a listener: {reason}";
    }

    private static QuorumStartException? FindQuorumStartFailure(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is QuorumStartException quorum)
            {
                return quorum;
            }
        }

        return null;
    }
}
