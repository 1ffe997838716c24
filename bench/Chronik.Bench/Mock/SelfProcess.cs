using System.Diagnostics;

namespace Chronik.Bench.Mock;

/// <summary>Starts this program again as a child (through the apphost, or the dotnet muxer when run as a dll).</summary>
internal static class SelfProcess
{
    public static ProcessStartInfo CreateStartInfo(IEnumerable<string> arguments)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var info = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "chronik-bench.dll"));
        }

        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }
}
