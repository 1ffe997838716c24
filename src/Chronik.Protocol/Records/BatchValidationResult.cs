using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Records;

/// <summary>Outcome of validating one batch: <see cref="ErrorCode.None"/>, or the Kafka error and why.</summary>
public readonly record struct BatchValidationResult(ErrorCode Error, string? Message)
{
    public static BatchValidationResult Valid => default;

    public bool IsValid => Error == ErrorCode.None;

    internal static BatchValidationResult Corrupt(string message) => new(ErrorCode.CorruptMessage, message);

    internal static BatchValidationResult Invalid(string message) => new(ErrorCode.InvalidRecord, message);
}
