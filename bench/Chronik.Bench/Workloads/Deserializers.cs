using System.Buffers.Binary;
using Confluent.Kafka;

namespace Chronik.Bench.Workloads;

/// <summary>Reads only a value's length: consuming copies no record bytes into managed arrays.</summary>
public sealed class ValueLengthDeserializer : IDeserializer<int>
{
    public int Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => isNull ? 0 : data.Length;
}

/// <summary>Reads the send timestamp (Stopwatch ticks, little-endian) a latency record starts with; -1 if absent.</summary>
public sealed class SendStampDeserializer : IDeserializer<long>
{
    public long Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        !isNull && data.Length >= sizeof(long) ? BinaryPrimitives.ReadInt64LittleEndian(data) : -1;
}
