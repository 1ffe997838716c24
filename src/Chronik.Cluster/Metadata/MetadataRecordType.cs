namespace Chronik.Cluster.Metadata;

/// <summary>
/// Type id of a metadata record on the wire (first byte of its encoding). Ids are never reused:
/// a node that meets an id it does not know refuses the entry rather than skipping it, because
/// skipping would fork its image from the others'.
/// </summary>
public enum MetadataRecordType : byte
{
    ClusterId = 1,
    RegisterBroker = 2,
    UnregisterBroker = 3,
    FenceBroker = 4,
    UnfenceBroker = 5,
    Topic = 6,
    Partition = 7,
    PartitionChange = 8,
    RemoveTopic = 9,
    Config = 10,
    ProducerIds = 11,

    // 12 = ACL and 13 = SCRAM credential are reserved for the security work.
}
