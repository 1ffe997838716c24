namespace Chronik.Protocol.Wire;

/// <summary>
/// A message cannot be read or written at the requested version: the version is outside the
/// message's valid range, or a field that the version lacks holds a non-default value and is not
/// ignorable (Kafka's UnsupportedVersionException from its generated Write methods).
/// </summary>
public sealed class UnsupportedVersionException : Exception
{
    public UnsupportedVersionException()
    {
    }

    public UnsupportedVersionException(string message)
        : base(message)
    {
    }

    public UnsupportedVersionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
