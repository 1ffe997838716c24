using System.Diagnostics;

namespace Chronik.Testing;

/// <summary>
/// Finds the chronik-server executable built by src/Chronik.Server. A test project that starts brokers
/// references that project (so it is built first). Lookup order: $CHRONIK_SERVER_PATH (the apphost or
/// chronik-server.dll), the test's own output folder, then src/Chronik.Server/bin/&lt;Configuration&gt;/net10.0
/// of the repository the tests run from.
/// </summary>
public static class ServerExecutable
{
    private const string Name = "chronik-server";
    private static readonly Lazy<string> Located = new(Locate);

    /// <summary>Path of the apphost or of chronik-server.dll.</summary>
    public static string Path => Located.Value;

    /// <summary>A start info that runs chronik-server with <paramref name="arguments"/>, output redirected.</summary>
    public static ProcessStartInfo CreateStartInfo(IEnumerable<string> arguments)
    {
        string path = Path;
        ProcessStartInfo info;
        if (path.EndsWith(".dll", StringComparison.Ordinal))
        {
            // Through the muxer; it runs the app in its own process, so the PID is the server's.
            info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
            info.ArgumentList.Add("exec");
            info.ArgumentList.Add(path);
        }
        else
        {
            info = new ProcessStartInfo(path);
        }

        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        // Tests are hermetic: no CHRONIK_* setting leaks in from the developer's shell.
        foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("CHRONIK_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        return info;
    }

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("CHRONIK_SERVER_PATH") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"CHRONIK_SERVER_PATH points at a missing file: {configured}");
        }

        string baseDirectory = AppContext.BaseDirectory;
        string? found = InFolder(baseDirectory);
        if (found is not null)
        {
            return found;
        }

        // .../tests/<Project>/bin/<Configuration>/<tfm>/ → same configuration of the server project.
        var tfmDir = new DirectoryInfo(baseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        string configuration = tfmDir.Parent?.Name ?? "Release";
        for (var dir = tfmDir; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Chronik.slnx")))
            {
                string serverOut = System.IO.Path.Combine(dir.FullName, "src", "Chronik.Server", "bin", configuration, tfmDir.Name);
                found = InFolder(serverOut);
                if (found is not null)
                {
                    return found;
                }

                throw new FileNotFoundException($"chronik-server is not built: nothing in {serverOut} (build src/Chronik.Server -c {configuration})");
            }
        }

        throw new FileNotFoundException($"chronik-server not found next to {baseDirectory} nor in the repository; set CHRONIK_SERVER_PATH");
    }

    private static string? InFolder(string folder)
    {
        // The apphost is only usable next to its runtimeconfig (a referenced exe's dll alone is not runnable).
        if (!File.Exists(System.IO.Path.Combine(folder, Name + ".runtimeconfig.json")))
        {
            return null;
        }

        string apphost = System.IO.Path.Combine(folder, Name);
        if (File.Exists(apphost))
        {
            return apphost;
        }

        string dll = System.IO.Path.Combine(folder, Name + ".dll");
        return File.Exists(dll) ? dll : null;
    }
}
