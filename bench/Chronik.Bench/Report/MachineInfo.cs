using System.Reflection;
using System.Runtime.InteropServices;

namespace Chronik.Bench.Report;

/// <summary>What the numbers were measured on: host, runtime, client library, and how busy the machine was.</summary>
public sealed record MachineInfo(string Cpu, int Cores, string Memory, string Os, string Kernel, string Runtime, string ConfluentKafka, string LoadAverage)
{
    public static MachineInfo Read() => new(
        Cpu: FirstValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        Cores: Environment.ProcessorCount,
        Memory: FirstValue("/proc/meminfo", "MemTotal") is { } kb ? FormatKilobytes(kb) : "unknown",
        Os: ReadOsName(),
        Kernel: ReadText("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
        Runtime: RuntimeInformation.FrameworkDescription,
        ConfluentKafka: typeof(Confluent.Kafka.Library).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?",
        LoadAverage: CurrentLoad());

    /// <summary>The 1/5/15-minute load averages now (other work on a shared machine shows here).</summary>
    public static string CurrentLoad() => ReadText("/proc/loadavg") is { } load ? string.Join(' ', load.Split(' ')[..3]) : "unknown";

    private static string ReadOsName()
    {
        string? pretty = FirstValue("/etc/os-release", "PRETTY_NAME", '=');
        return pretty?.Trim('"') ?? RuntimeInformation.OSDescription;
    }

    private static string FormatKilobytes(string value)
    {
        string number = value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return long.TryParse(number, out long kb) ? $"{kb / 1024.0 / 1024.0:0.0} GiB" : value;
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
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

    private static string? FirstValue(string path, string key, char separator = ':')
    {
        string? text = ReadText(path);
        if (text is null)
        {
            return null;
        }

        foreach (string line in text.Split('\n'))
        {
            int at = line.IndexOf(separator);
            if (at > 0 && line[..at].Trim() == key)
            {
                return line[(at + 1)..].Trim();
            }
        }

        return null;
    }
}
