using System.Diagnostics;
using System.Text;

namespace Chronik.Testing;

/// <summary>A finished run of a client tool (kcat, python, node): exit code, captured output and duration.</summary>
public sealed record ClientProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
{
    /// <summary>Non-empty lines of standard output.</summary>
    public IReadOnlyList<string> OutputLines => StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Throws with the command line, exit code and both streams unless the exit code is 0.</summary>
    public ClientProcessResult EnsureSuccess()
    {
        if (ExitCode != 0)
        {
            throw new ClientProcessException(this);
        }

        return this;
    }

    public override string ToString() =>
        $"`{CommandLine}` exited with {ExitCode} after {Elapsed.TotalSeconds:F1} s\n--- stderr ---\n{Tail(StandardError)}\n--- stdout ---\n{Tail(StandardOutput)}";

    private static string Tail(string text) => text.Length <= 8000 ? text : "…" + text[^8000..];
}

/// <summary>A client tool failed; the message carries its command line and output.</summary>
public sealed class ClientProcessException(ClientProcessResult result) : Exception(result.ToString())
{
    public ClientProcessResult Result { get; } = result;
}

/// <summary>How to run a client tool.</summary>
public sealed class ClientProcessOptions
{
    /// <summary>A file whose bytes are written to the tool's standard input (then closed); stdin is empty when null.</summary>
    public string? StandardInputFile { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>The tool is killed (by PID, with its children) when it runs longer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Variables to set (a null value unsets one).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
}

/// <summary>
/// Runs a client tool to completion as a child process. Callers pass bootstrap addresses only after
/// <see cref="Loopback.Bootstrap"/> accepted them.
/// </summary>
public static class ClientProcess
{
    public static async Task<ClientProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, ClientProcessOptions? options = null)
    {
        options ??= new ClientProcessOptions();
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (options.WorkingDirectory is not null)
        {
            info.WorkingDirectory = options.WorkingDirectory;
        }

        foreach (var (key, value) in options.Environment)
        {
            info.Environment[key] = value;
        }

        string commandLine = fileName + " " + string.Join(' ', info.ArgumentList);
        using var process = new Process { StartInfo = info };
        var stopwatch = Stopwatch.StartNew();
        process.Start();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(options.Timeout);
        try
        {
            await FeedStandardInputAsync(process, options.StandardInputFile, timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            var killed = new ClientProcessResult(commandLine, -1, await stdout, await stderr, stopwatch.Elapsed);
            throw new TimeoutException($"killed after {options.Timeout}: {killed}");
        }
        catch (IOException) when (process.HasExited)
        {
            // The tool exited before reading all of its input; its exit code and stderr say why.
            await process.WaitForExitAsync();
        }

        return new ClientProcessResult(commandLine, process.ExitCode, await stdout, await stderr, stopwatch.Elapsed);
    }

    private static async Task FeedStandardInputAsync(Process process, string? file, CancellationToken cancellationToken)
    {
        Stream stdin = process.StandardInput.BaseStream;
        try
        {
            if (file is not null)
            {
                await using var input = File.OpenRead(file);
                await input.CopyToAsync(stdin, cancellationToken);
            }
        }
        finally
        {
            try
            {
                stdin.Close();
            }
            catch (IOException)
            {
                // Broken pipe: the tool is gone; its exit code tells.
            }
        }
    }
}
