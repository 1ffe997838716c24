using System.Collections;
using System.Reflection;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Messages;

/// <summary>Deep comparison of generated messages: every [KafkaField] property, nested structs, lists and unknown tagged fields.</summary>
internal static class StructuralAssert
{
    public static void Equal(object? expected, object? actual, string path = "")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }

        switch (expected)
        {
            case byte[] bytes:
                Assert.True(bytes.AsSpan().SequenceEqual((byte[])actual), $"{path}: bytes differ");
                return;
            case ReadOnlyMemory<byte> memory:
                Assert.True(memory.Span.SequenceEqual(((ReadOnlyMemory<byte>)actual).Span), $"{path}: records differ");
                return;
            case double d:
                Assert.True(BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits((double)actual), $"{path}: {d} != {actual}");
                return;
            case TaggedField tagged:
                var other = (TaggedField)actual;
                Assert.True(tagged.Tag == other.Tag && tagged.Data.AsSpan().SequenceEqual(other.Data), $"{path}: tagged field {tagged.Tag} differs from {other.Tag}");
                return;
            case IList list:
                var actualList = (IList)actual;
                Assert.True(list.Count == actualList.Count, $"{path}: {list.Count} elements expected, got {actualList.Count}");
                for (int i = 0; i < list.Count; i++)
                {
                    Equal(list[i], actualList[i], $"{path}[{i}]");
                }

                return;
        }

        Type type = expected.GetType();
        if (type.Namespace == "Chronik.Protocol.Messages" && type.IsClass && type != typeof(string))
        {
            Assert.Equal(type, actual.GetType());
            foreach ((PropertyInfo property, _) in MessageCatalog.Fields(type))
            {
                Equal(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
            }

            PropertyInfo unknown = type.GetProperty("UnknownTaggedFields")!;
            Equal(unknown.GetValue(expected), unknown.GetValue(actual), $"{path}.UnknownTaggedFields");
            return;
        }

        Assert.True(expected.Equals(actual), $"{path}: expected {Show(expected)}, got {Show(actual)}");
    }

    private static string Show(object? value) => value is null ? "null" : $"'{value}'";
}
