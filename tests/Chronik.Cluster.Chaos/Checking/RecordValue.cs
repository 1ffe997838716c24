using System.Globalization;
using System.Text;

namespace Chronik.Cluster.Chaos.Checking;

/// <summary>
/// The value of every chaos record: <c>chaos|&lt;producer&gt;|&lt;sequence&gt;|&lt;filler&gt;</c>, the filler a
/// deterministic function of producer, sequence and size that pads the value to that size. Decoding
/// re-encodes and compares every byte, so a corrupted, truncated or foreign value is told apart from a
/// record the workload wrote. Record <c>n</c> of a producer goes to partition <c>n mod partitions</c>
/// (<see cref="PartitionOf"/>), so the checker knows where every record belongs, acknowledged or not.
/// </summary>
public static class RecordValue
{
    /// <summary>Smallest value size <see cref="Encode"/> accepts: room for the header and a few filler bytes.</summary>
    public const int MinimumSize = 48;

    private const string Prefix = "chaos|";

    /// <summary>The partition record <paramref name="sequence"/> of any producer is written to.</summary>
    public static int PartitionOf(long sequence, int partitionCount) => (int)(sequence % partitionCount);

    /// <summary>The value of record <paramref name="sequence"/> of <paramref name="producerId"/>, <paramref name="size"/> bytes long.</summary>
    public static byte[] Encode(string producerId, long sequence, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize);
        if (producerId.Length == 0 || producerId.Contains('|', StringComparison.Ordinal) || producerId.Any(c => c > 127))
        {
            throw new ArgumentException($"producer id '{producerId}' must be non-empty ASCII without '|'", nameof(producerId));
        }

        string header = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{producerId}|{sequence}|");
        if (header.Length >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"{size} bytes leave no room for the filler after '{header}'");
        }

        var value = new byte[size];
        int written = Encoding.ASCII.GetBytes(header, value);
        uint state = Seed(producerId, sequence, size);
        for (int i = written; i < size; i++)
        {
            state = (state * 1_664_525) + 1_013_904_223;
            value[i] = (byte)('a' + ((state >> 16) % 26));
        }

        return value;
    }

    /// <summary>True when <paramref name="value"/> is exactly what <see cref="Encode"/> writes for the producer and sequence it names.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> value, out string producerId, out long sequence)
    {
        producerId = "";
        sequence = -1;
        if (value.Length < MinimumSize || !value.StartsWith(Encoding.ASCII.GetBytes(Prefix)))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = value[Prefix.Length..];
        int producerEnd = rest.IndexOf((byte)'|');
        if (producerEnd <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> afterProducer = rest[(producerEnd + 1)..];
        int sequenceEnd = afterProducer.IndexOf((byte)'|');
        if (sequenceEnd <= 0 || sequenceEnd > 19)
        {
            return false;
        }

        foreach (byte b in afterProducer[..sequenceEnd])
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        string name = Encoding.ASCII.GetString(rest[..producerEnd]);
        if (!long.TryParse(afterProducer[..sequenceEnd], NumberStyles.None, CultureInfo.InvariantCulture, out long number)
            || name.Any(c => c > 127))
        {
            return false;
        }

        if (!Encode(name, number, value.Length).AsSpan().SequenceEqual(value))
        {
            return false;
        }

        producerId = name;
        sequence = number;
        return true;
    }

    private static uint Seed(string producerId, long sequence, int size)
    {
        // FNV-1a over the producer id, mixed with the sequence (neighbouring records get different
        // fillers) and the size (a truncated value is not a prefix of a valid shorter one).
        uint hash = 2_166_136_261;
        foreach (char c in producerId)
        {
            hash = (hash ^ c) * 16_777_619;
        }

        return hash ^ (uint)sequence ^ ((uint)(sequence >> 32) * 2_654_435_761) ^ ((uint)size * 40_503);
    }
}
