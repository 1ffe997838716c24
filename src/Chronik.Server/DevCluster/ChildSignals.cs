using System.Runtime.InteropServices;

namespace Chronik.Server.DevCluster;

/// <summary>SIGTERM for child processes: .NET itself can only SIGKILL another process, which would skip their clean shutdown.</summary>
internal static partial class ChildSignals
{
    private const int SigTerm = 15;

    /// <summary>Asks <paramref name="pid"/> to shut down cleanly; false when the process is already gone.</summary>
    public static bool Terminate(int pid) => OperatingSystem.IsWindows() ? false : Kill(pid, SigTerm) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
