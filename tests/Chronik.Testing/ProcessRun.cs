using System.Diagnostics;
using System.Text;

namespace Chronik.Testing;

/// <summary>A finished run of chronik-server: exit code and captured output.</summary>
public sealed record ProcessRunResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs chronik-server to completion (for exit-code tests: --help, bad flags, port in use).</summary>
public static class ProcessRun
{
    /// <summary>
    /// Runs with <paramref name="arguments"/> and <paramref name="environment"/> (null values unset a
    /// variable) in <paramref name="workingDirectory"/>; kills the process if it outlives <paramref name="timeout"/>.
    /// </summary>
    public static async Task<ProcessRunResult> RunAsync(
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null)
    {
        var info = ServerExecutable.CreateStartInfo(arguments);
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"chronik-server did not exit within {timeout}; output:\n{stdout}\n{stderr}");
        }

        // The parameterless wait also drains the redirected streams.
        await process.WaitForExitAsync();
        lock (stdout)
        {
            lock (stderr)
            {
                return new ProcessRunResult(process.ExitCode, stdout.ToString(), stderr.ToString());
            }
        }
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (builder)
        {
            builder.Append(line).Append('\n');
        }
    }
}
