using System.Runtime.InteropServices;

namespace Chronik.Bench.Native;

/// <summary>The few libc calls the harness needs and .NET does not expose.</summary>
internal static partial class Libc
{
    private const int ClockTicksName = 2; // _SC_CLK_TCK on Linux

    /// <summary>Clock ticks per second, the unit of utime/stime in /proc/&lt;pid&gt;/stat.</summary>
    public static long ClockTicksPerSecond { get; } = SysConf(ClockTicksName) is > 0 and var ticks ? ticks : 100;

    /// <summary>fdatasync(2): file data (and the size, for an append) reach the disk.</summary>
    public static void FlushData(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            if (FdataSync((int)file.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fdatasync failed with errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdataSync(int fd);
}
