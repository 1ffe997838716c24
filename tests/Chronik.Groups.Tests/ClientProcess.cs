using System.Diagnostics;
using Chronik.Testing;

namespace Chronik.Groups.Tests;

/// <summary>
/// A kafka-python or kafkajs group member running one of Scripts/ as a child process. It prints
/// "ASSIGNED p,p,..." on every assignment and "RECORD partition offset value" per record; killed by PID.
/// </summary>
public sealed class ClientProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private ClientProcess(Process process)
    {
        _process = process;
    }

    public string Name { get; private init; } = "";

    public int ProcessId => _process.Id;

    public static ClientProcess KafkaPython(string bootstrap, string group, string topic) =>
        Start("kafka-python", "/usr/bin/python3", [Script("kafka_python_consumer.py"), Loopback.Bootstrap(bootstrap), group, topic], null);

    public static ClientProcess KafkaJs(string bootstrap, string group, string topic) =>
        Start("kafkajs", "node", [Script("kafkajs_consumer.js"), Loopback.Bootstrap(bootstrap), group, topic], ("NODE_PATH", NodeModules()));

    /// <summary>Everything the client printed.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Partitions of the latest assignment (null before the first).</summary>
    public IReadOnlyList<int>? Assignment => Lines.LastOrDefault(l => l.StartsWith("ASSIGNED", StringComparison.Ordinal)) is { } line
        ? [.. line["ASSIGNED".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)]
        : null;

    /// <summary>(partition, offset, value) of every record consumed.</summary>
    public IReadOnlyList<(int Partition, long Offset, string Value)> Records =>
        [.. Lines.Where(l => l.StartsWith("RECORD ", StringComparison.Ordinal)).Select(l => l.Split(' ', 4)).Select(p => (int.Parse(p[1]), long.Parse(p[2]), p[3]))];

    public bool HasExited => _process.HasExited;

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    public override string ToString() => $"{Name} (pid {_process.Id}):\n{string.Join('\n', Lines.TakeLast(30))}";

    private static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Scripts", name);

    /// <summary>tests/Chronik.Compat/js/node_modules of this repository (npm ci there once).</summary>
    private static string NodeModules()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "Chronik.Compat", "js", "node_modules");
            if (Directory.Exists(Path.Combine(candidate, "kafkajs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("kafkajs is not installed: run `npm ci` in tests/Chronik.Compat/js");
    }

    private static ClientProcess Start(string name, string executable, string[] arguments, (string Key, string Value)? environment)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is { } env)
        {
            info.Environment[env.Key] = env.Value;
        }

        var client = new ClientProcess(new Process { StartInfo = info }) { Name = name };
        client._process.OutputDataReceived += (_, e) => client.Append(e.Data);
        client._process.ErrorDataReceived += (_, e) => client.Append(e.Data is null ? null : "stderr: " + e.Data);
        client._process.Start();
        client._process.StandardInput.Close();
        client._process.BeginOutputReadLine();
        client._process.BeginErrorReadLine();
        return client;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }
        }
    }
}
