using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Chronik.Protocol.Records;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of record batch v2. Uses the CPU's crc32 instruction
/// through <see cref="BitOperations.Crc32C(uint, ulong)"/> (SSE4.2 / Arm CRC; software fallback otherwise).
/// </summary>
public static class Crc32C
{
    /// <summary>Checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(0xFFFFFFFFu, data);

    /// <summary>
    /// Feeds <paramref name="data"/> into a running, not yet inverted, state. Start with 0xFFFFFFFF
    /// and invert the final state; <see cref="Compute"/> does both for a single span.
    /// </summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong word in words)
        {
            state = BitOperations.Crc32C(state, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
        }

        foreach (byte b in data[(words.Length * sizeof(ulong))..])
        {
            state = BitOperations.Crc32C(state, b);
        }

        return state;
    }
}
