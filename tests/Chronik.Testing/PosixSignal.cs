using System.Runtime.InteropServices;

namespace Chronik.Testing;

/// <summary>Signals for child processes (Linux numbers): .NET can only SIGKILL another process by itself.</summary>
public enum Signal
{
    Kill = 9,
    Term = 15,
    Continue = 18,
    Stop = 19,
}

public static partial class Posix
{
    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; throws when the kernel refuses.</summary>
    public static void Send(int pid, Signal signal)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("signals are sent with Linux numbers");
        }

        if (Kill(pid, (int)signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
