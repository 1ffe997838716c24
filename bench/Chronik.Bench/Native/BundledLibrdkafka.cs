using System.Runtime.InteropServices;

namespace Chronik.Bench.Native;

/// <summary>
/// The librdkafka shipped in the output by librdkafka.redist: tests/Confluent.Kafka.targets copies
/// the dependency-free centos8 build over runtimes/linux-x64/native/librdkafka.so, which
/// Confluent.Kafka's own loader then finds. The version is checked before any client is made, so a
/// silent fallback to a system librdkafka (Debian's 2.0.2) stops the run instead of skewing it.
/// The mock broker process loads the same file by path (<see cref="MockClusterApi"/>).
/// </summary>
public static class BundledLibrdkafka
{
    /// <summary>The version line every report prints; anything else means a different client was measured.</summary>
    public const string ExpectedVersionPrefix = "2.16.";

    /// <summary>Full path of the bundled librdkafka.so next to this program.</summary>
    public static string Path
    {
        get
        {
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                throw new PlatformNotSupportedException("chronik-bench runs on linux-x64 only (it reads /proc and loads the bundled linux-x64 librdkafka)");
            }

            string path = System.IO.Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "librdkafka.so");
            return File.Exists(path) ? path : throw new FileNotFoundException($"bundled librdkafka missing: {path} (build bench/Chronik.Bench)");
        }
    }

    /// <summary>
    /// Loads librdkafka for Confluent.Kafka (its default lookup) and returns the version string;
    /// throws if it is not 2.16.x. Call before creating any client.
    /// </summary>
    public static string LoadForConfluent()
    {
        // Confluent's Library.Load(path) dlopens "libdl", which glibc 2.34+ systems only ship as libdl.so.2;
        // the default lookup below is made deterministic by the build instead.
        string version = Confluent.Kafka.Library.VersionString;
        if (!version.StartsWith(ExpectedVersionPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"loaded librdkafka {version}, expected {ExpectedVersionPrefix}x from {Path}");
        }

        return version;
    }
}
