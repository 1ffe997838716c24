using System.Collections;
using System.CommandLine;
using Chronik.Server.Cli;
using Chronik.Server.Configuration;
using Chronik.Server.DevCluster;
using Chronik.Server.Hosting;

namespace Chronik.Server;

/// <summary>
/// chronik-server: parse the command line, merge the settings (exit 2 on any problem), run the host.
/// Exit codes: 0 clean shutdown, 1 startup failure (e.g. port in use), 2 bad usage or configuration.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var commandLine = new ServerCommandLine();
        ParseResult parse = commandLine.Parse(args);
        if (parse.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"chronik-server: {parse.Errors[0].Message} (see chronik-server --help)").ConfigureAwait(false);
            return ServerHost.ExitUsage;
        }

        if (parse.Action != parse.CommandResult.Command.Action)
        {
            // --help, --version: print and leave.
            return await parse.InvokeAsync().ConfigureAwait(false);
        }

        if (commandLine.IsDevCluster(parse))
        {
            return await RunDevClusterAsync(commandLine, parse).ConfigureAwait(false);
        }

        ServerSettings settings;
        try
        {
            settings = SettingsLoader.Load(commandLine.ToValues(parse), ReadEnvironment(), Environment.CurrentDirectory);
        }
        catch (ConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"chronik-server: {ex.Message}").ConfigureAwait(false);
            return ServerHost.ExitUsage;
        }

        return await ServerHost.RunAsync(settings, BrokerComposition.AddBroker, Console.Error).ConfigureAwait(false);
    }

    private static async Task<int> RunDevClusterAsync(ServerCommandLine commandLine, ParseResult parse)
    {
        using var stopping = new CancellationTokenSource();
        IDisposable[] signals = DevClusterRunner.CancelOnSignals(stopping);
        try
        {
            DevClusterOptions options = commandLine.ToDevClusterOptions(parse, Environment.CurrentDirectory);
            return await new DevClusterRunner(options, Console.Out).RunAsync(stopping.Token).ConfigureAwait(false);
        }
        catch (ConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"chronik-server: {ex.Message}").ConfigureAwait(false);
            return ServerHost.ExitUsage;
        }
        catch (DevClusterException ex)
        {
            await Console.Error.WriteLineAsync($"chronik-server: {ex.Message}").ConfigureAwait(false);
            return ServerHost.ExitStartupFailure;
        }
        finally
        {
            Array.ForEach(signals, s => s.Dispose());
        }
    }

    private static Dictionary<string, string> ReadEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        return environment;
    }
}
