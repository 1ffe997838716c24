using Chronik.Codegen;

namespace Chronik.Protocol.Tests.Golden;

/// <summary>Request frames captured from real clients, stored as hex (32 bytes a line) under Golden/.</summary>
internal static class GoldenFixtures
{
    public const string ApiVersionsRequest = "librdkafka-apiversions-request.hex";
    public const string MetadataV12Request = "librdkafka-metadata-v12-request.hex";
    public const string ProduceLz4Request = "librdkafka-produce-lz4-request.hex";
    public const string ProduceGzipRequest = "librdkafka-produce-gzip-request.hex";

    public static byte[] Load(string name)
    {
        string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", name));
        return Convert.FromHexString(string.Concat(text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
    }

    /// <summary>Writes a fixture into the source tree (found by walking up to Chronik.slnx).</summary>
    public static string Save(string name, byte[] frame)
    {
        string root = Generator.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("cannot find the repository root (Chronik.slnx)");
        string path = Path.Combine(root, "tests", "Chronik.Protocol.Tests", "Golden", name);
        string hex = Convert.ToHexString(frame).ToLowerInvariant();
        var lines = new List<string>();
        for (int i = 0; i < hex.Length; i += 64)
        {
            lines.Add(hex.Substring(i, Math.Min(64, hex.Length - i)));
        }

        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }
}
