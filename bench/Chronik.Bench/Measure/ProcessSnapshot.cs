using System.Globalization;
using Chronik.Bench.Native;

namespace Chronik.Bench.Measure;

/// <summary>CPU time and memory of one process as /proc shows it at one moment.</summary>
public readonly record struct ProcessSnapshot(double CpuSeconds, long RssBytes, long PeakRssBytes)
{
    /// <summary>Reads /proc/&lt;pid&gt;/stat (utime + stime) and /proc/&lt;pid&gt;/status (VmRSS, VmHWM); null once the process is gone.</summary>
    public static ProcessSnapshot? Read(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string status = File.ReadAllText($"/proc/{pid}/status");
            return new ProcessSnapshot(ParseCpuSeconds(stat), StatusKilobytes(status, "VmRSS:") * 1024, StatusKilobytes(status, "VmHWM:") * 1024);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Resets VmHWM to the current RSS (writing "5" to clear_refs, Linux ≥ 4.0) so the next peak
    /// belongs to the measured interval; false where the kernel refuses.
    /// </summary>
    public static bool ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>utime + stime in seconds. The command name may hold spaces and parentheses, so fields count from the last ')'.</summary>
    internal static double ParseCpuSeconds(string stat)
    {
        int close = stat.LastIndexOf(')');
        string[] fields = stat[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        long utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        long stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / (double)Libc.ClockTicksPerSecond;
    }

    internal static long StatusKilobytes(string status, string key)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                string value = line[key.Length..].Trim();
                int space = value.IndexOf(' ');
                return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
