using Chronik.Protocol.Wire;

namespace Chronik.Storage;

/// <summary>
/// A failure of the storage layer that maps to one Kafka error: a rejected batch (CorruptMessage,
/// InvalidRecord, MessageTooLarge, RecordListTooLarge, InvalidTimestamp), an append at the wrong offset
/// from a follower, or an I/O failure of the log directory (KafkaStorageError).
/// </summary>
public class StorageException : Exception
{
    public StorageException(ErrorCode errorCode, string message, Exception? inner = null)
        : base(message, inner)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The Kafka error the broker answers with.</summary>
    public ErrorCode ErrorCode { get; }
}

/// <summary>A topic config value that does not parse or is out of range; <see cref="Key"/> names it.</summary>
public sealed class LogConfigException : StorageException
{
    public LogConfigException(string key, string message)
        : base(ErrorCode.InvalidConfig, $"Invalid value for configuration {key}: {message}")
    {
        Key = key;
    }

    /// <summary>The Kafka config name, e.g. "segment.bytes".</summary>
    public string Key { get; }
}
