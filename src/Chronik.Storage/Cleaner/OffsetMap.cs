using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Chronik.Storage.Cleaner;

/// <summary>
/// Key → latest offset for one cleaning pass, keyed by the MD5 of the key as Kafka's SkimpyOffsetMap (128 bits:
/// a collision would need ~2^64 keys). Bounded by <see cref="Capacity"/>; the pass stops indexing when full.
/// </summary>
internal sealed class OffsetMap
{
    private readonly Dictionary<UInt128, long> _latest = [];

    public OffsetMap(int capacity)
    {
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => _latest.Count;

    /// <summary>One past the largest offset put, or -1.</summary>
    public long EndOffset { get; private set; } = -1;

    public void Put(ReadOnlySpan<byte> key, long offset)
    {
        _latest[Hash(key)] = offset;
        EndOffset = Math.Max(EndOffset, offset + 1);
    }

    /// <summary>Marks offsets below <paramref name="offset"/> as covered even if they held no keyed record.</summary>
    public void CoverUpTo(long offset) => EndOffset = Math.Max(EndOffset, offset);

    public bool TryGet(ReadOnlySpan<byte> key, out long offset) => _latest.TryGetValue(Hash(key), out offset);

    private static UInt128 Hash(ReadOnlySpan<byte> key)
    {
        Span<byte> digest = stackalloc byte[16];
        MD5.HashData(key, digest);
        return MemoryMarshal.Read<UInt128>(digest);
    }
}
