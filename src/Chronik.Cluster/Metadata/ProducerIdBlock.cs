namespace Chronik.Cluster.Metadata;

/// <summary>The last producer id block handed out; the next block starts at <see cref="NextId"/>.</summary>
public readonly record struct ProducerIdBlock(int BrokerId, long FirstId, int Size)
{
    public long NextId => FirstId + Size;
}
