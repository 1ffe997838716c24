using System.Diagnostics;
using System.Text;

namespace Chronik.Bench.Profiling;

/// <summary>A diagnostics tool run as a child process with its output captured; killed by PID if it overstays.</summary>
internal sealed class ToolRun : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ToolRun(Process process)
    {
        _process = process;
    }

    public static ToolRun Start(string path, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(path)
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

        var process = new Process { StartInfo = info };
        var run = new ToolRun(process);
        process.OutputDataReceived += (_, e) => run.Append(e.Data);
        process.ErrorDataReceived += (_, e) => run.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    /// <summary>Waits for the exit; kills the tool after <paramref name="timeout"/> (exit code -1 then).</summary>
    public async Task<(int ExitCode, string Output)> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            return (-1, Output + "\n(killed after " + timeout + ")");
        }

        await _process.WaitForExitAsync();
        return (_process.ExitCode, Output);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(line).Append('\n');
        }
    }
}
