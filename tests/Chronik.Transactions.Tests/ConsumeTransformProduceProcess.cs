using System.Diagnostics;
using System.Text;
using Chronik.Testing;

namespace Chronik.Transactions.Tests;

/// <summary>The application as a child process (dotnet this-assembly ctp ...), its output captured, killed by PID.</summary>
public sealed class ConsumeTransformProduceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private int _committed;
    private int _committedRecords;

    private ConsumeTransformProduceProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The transactional.id the application of test run <paramref name="run"/> uses.</summary>
    public static string TransactionalId(string run) => "ctp-txn-" + run;

    /// <summary>The consumer group the application of test run <paramref name="run"/> uses.</summary>
    public static string GroupId(string run) => "ctp-group-" + run;

    public int Committed => Volatile.Read(ref _committed);

    /// <summary>Input records the committed transactions carried.</summary>
    public int CommittedRecords => Volatile.Read(ref _committedRecords);

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The last <paramref name="characters"/> of <see cref="Output"/>, for failure messages.</summary>
    public string OutputTail(int characters = 20_000)
    {
        string output = Output;
        return output.Length <= characters ? output : "…" + output[^characters..];
    }

    public static ConsumeTransformProduceProcess Start(string bootstrap, string input, string output, string run, int batch)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { typeof(ConsumeTransformProduceProcess).Assembly.Location, ConsumeTransformProduceApp.Verb, Loopback.Bootstrap(bootstrap), input, output, GroupId(run), TransactionalId(run), batch.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var app = new ConsumeTransformProduceProcess(process);
        process.OutputDataReceived += (_, e) => app.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => app.OnLine(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return app;
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            // Process.Kill sends SIGKILL on Linux: no shutdown code of the application runs.
            _process.Kill();
        }

        _process.WaitForExit(30_000);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("committed ", StringComparison.Ordinal))
        {
            ReadOnlySpan<char> count = line.AsSpan("committed ".Length);
            int end = count.IndexOf(' ');
            Interlocked.Add(ref _committedRecords, int.Parse(end < 0 ? count : count[..end], System.Globalization.CultureInfo.InvariantCulture));
            Interlocked.Increment(ref _committed);
        }
    }
}
