using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Records;

/// <summary>
/// A batch's records (or a legacy message set) could not be decoded. <see cref="ErrorCode"/> is the error
/// the broker answers with: <see cref="ErrorCode.CorruptMessage"/> for undecodable compressed data or a bad
/// checksum, <see cref="ErrorCode.InvalidRecord"/> for malformed records (Kafka's InvalidRecordException).
/// This is the only exception the record readers throw for bad input.
/// </summary>
public sealed class RecordDecodeException : Exception
{
    public RecordDecodeException(ErrorCode errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    public ErrorCode ErrorCode { get; }
}
