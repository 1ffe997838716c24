using System.Globalization;

namespace Chronik.Testing;

/// <summary>Facts about a running process read from Linux's /proc (for memory bounds in soak and fuzz tests).</summary>
public static class ProcessStatus
{
    /// <summary>Resident set size (VmRSS) of <paramref name="pid"/> in bytes.</summary>
    public static long ResidentBytes(int pid) => ReadKilobytes(pid, "VmRSS:") * 1024;

    /// <summary>Peak resident set size (VmHWM) of <paramref name="pid"/> in bytes.</summary>
    public static long PeakResidentBytes(int pid) => ReadKilobytes(pid, "VmHWM:") * 1024;

    private static long ReadKilobytes(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                // "VmRSS:	  123456 kB"
                string number = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.Parse(number, CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {field} line");
    }
}
