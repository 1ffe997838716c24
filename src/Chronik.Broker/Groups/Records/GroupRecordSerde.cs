using Chronik.Broker.Coordinators;

namespace Chronik.Broker.Groups.Records;

/// <summary>The group coordinator's records for the shared runtime: <see cref="CoordinatorRecordCodec"/>.</summary>
public sealed class GroupRecordSerde : ICoordinatorRecordSerde<CoordinatorRecord>
{
    public static readonly GroupRecordSerde Instance = new();

    public (byte[] Key, byte[]? Value) Encode(CoordinatorRecord record) => CoordinatorRecordCodec.Encode(record);

    public CoordinatorRecord? Decode(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? value) => CoordinatorRecordCodec.Decode(key, value);
}
