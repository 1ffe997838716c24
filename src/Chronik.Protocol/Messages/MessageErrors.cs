using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Messages;

/// <summary>The exceptions the generated code throws, built in one place to keep it small.</summary>
internal static class MessageErrors
{
    public static UnsupportedVersionException UnsupportedVersion(string message, short version) =>
        new($"{message} does not support version {version}");

    public static UnsupportedVersionException NonDefaultField(string field, short version) =>
        new($"attempted to write a non-default {field} at version {version}, which lacks it");

    public static UnsupportedVersionException TaggedFieldsInNonFlexibleVersion(string message, short version) =>
        new($"{message} has tagged fields set, but version {version} is not flexible");

    public static InvalidOperationException NullField(string field, short version) =>
        new($"{field} is null, but version {version} does not allow null");

    public static MalformedMessageException NullRead(string field, short version) =>
        new($"non-nullable field {field} was serialized as null at version {version}");
}
