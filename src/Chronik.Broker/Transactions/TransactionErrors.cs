using Chronik.Protocol.Wire;

namespace Chronik.Broker.Transactions;

/// <summary>How transaction errors reach clients of older API versions.</summary>
public static class TransactionErrors
{
    /// <summary>
    /// PRODUCER_FENCED (KIP-588) is answered as INVALID_PRODUCER_EPOCH to versions that predate it, which their
    /// clients handle the same way (Kafka: InitProducerId below v4, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn
    /// below v2).
    /// </summary>
    public static ErrorCode ForVersion(ErrorCode error, short version, short producerFencedSince) =>
        error == ErrorCode.ProducerFenced && version < producerFencedSince ? ErrorCode.InvalidProducerEpoch : error;
}
