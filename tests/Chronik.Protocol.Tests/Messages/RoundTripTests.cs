using System.Reflection;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Messages;

/// <summary>
/// Every generated message at every valid version: random contents survive write then read,
/// Size equals the bytes written, re-encoding is byte-identical, and bad input only ever raises
/// <see cref="MalformedMessageException"/>.
/// </summary>
public class RoundTripTests
{
    private const int Iterations = 25;

    public static TheoryData<string, short> AllVersions() => MessageCatalog.AllVersions();

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Random_contents_round_trip(string messageName, short version)
    {
        Type type = MessageCatalog.ByName(messageName);
        bool flexible = MessageCatalog.IsFlexible(type, version);
        for (int seed = 0; seed < Iterations; seed++)
        {
            IApiMessage original = new RandomMessages(seed * 7919 + version).Populate(MessageCatalog.Create(type), version, flexible);
            byte[] bytes = original.ToBytes(version);
            Assert.Equal(bytes.Length, original.Size(version));

            IApiMessage copy = MessageCatalog.Create(type).ReadFrom(bytes, version);
            StructuralAssert.Equal(original, copy, $"{messageName} v{version} seed {seed}");
            Assert.Equal(bytes, copy.ToBytes(version));
        }
    }

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Default_instances_round_trip(string messageName, short version)
    {
        Type type = MessageCatalog.ByName(messageName);
        IApiMessage message = MessageCatalog.Create(type);
        byte[] bytes = message.ToBytes(version);
        StructuralAssert.Equal(message, MessageCatalog.Create(type).ReadFrom(bytes, version));
    }

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Every_truncation_is_malformed_and_garbage_never_escapes_as_another_exception(string messageName, short version)
    {
        Type type = MessageCatalog.ByName(messageName);
        bool flexible = MessageCatalog.IsFlexible(type, version);
        var random = new Random(version * 31 + messageName.Length);
        byte[] bytes = new RandomMessages(version).Populate(MessageCatalog.Create(type), version, flexible).ToBytes(version);

        int step = Math.Max(1, bytes.Length / 64);
        for (int length = 0; length < bytes.Length; length += step)
        {
            byte[] prefix = bytes[..length];
            Assert.Throws<MalformedMessageException>(() => MessageCatalog.Create(type).ReadFrom(prefix, version));
        }

        for (int i = 0; i < 40; i++)
        {
            byte[] garbage = i % 2 == 0 ? new byte[random.Next(64)] : (byte[])bytes.Clone();
            if (i % 2 == 0)
            {
                random.NextBytes(garbage);
            }
            else if (garbage.Length > 0)
            {
                garbage[random.Next(garbage.Length)] ^= (byte)random.Next(1, 256);
            }

            try
            {
                MessageCatalog.Create(type).ReadFrom(garbage, version);
            }
            catch (MalformedMessageException)
            {
            }
        }
    }

    public static TheoryData<string> AllTypes() => MessageCatalog.AllTypes();

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Versions_outside_the_valid_range_are_refused(string messageName)
    {
        Type type = MessageCatalog.ByName(messageName);
        IApiMessage message = MessageCatalog.Create(type);
        short above = (short)(message.HighestSupportedVersion + 1);
        Assert.Throws<UnsupportedVersionException>(() => message.ToBytes(above));
        Assert.Throws<UnsupportedVersionException>(() => message.Size(-1));
        Assert.Throws<UnsupportedVersionException>(() => MessageCatalog.Create(type).ReadFrom(new byte[16], above));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Fields_a_version_lacks_are_not_written_and_non_ignorable_ones_refuse_non_defaults(string messageName)
    {
        Type type = MessageCatalog.ByName(messageName);
        IApiMessage defaults = MessageCatalog.Create(type);
        short highest = defaults.HighestSupportedVersion;
        foreach (short version in MessageCatalog.Versions(type))
        {
            foreach ((PropertyInfo property, KafkaFieldAttribute field) in MessageCatalog.Fields(type))
            {
                if (SpecVersions.Parse(field.Versions).Contains(version))
                {
                    continue;
                }

                var random = new RandomMessages(version);
                IApiMessage message = random.Populate(MessageCatalog.Create(type), version, flexible: false);
                byte[] expected = message.ToBytes(version);
                property.SetValue(message, NonDefault(property, defaults, random, highest));
                if (field.Ignorable)
                {
                    Assert.Equal(expected, message.ToBytes(version));
                    IApiMessage read = MessageCatalog.Create(type).ReadFrom(expected, version);
                    StructuralAssert.Equal(property.GetValue(defaults), property.GetValue(read), $"{messageName} v{version} {property.Name}");
                }
                else
                {
                    Assert.Throws<UnsupportedVersionException>(() => message.ToBytes(version));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Nested_struct_fields_a_version_lacks_are_not_written_and_non_ignorable_ones_refuse_non_defaults(string messageName)
    {
        Type type = MessageCatalog.ByName(messageName);
        short highest = MessageCatalog.Create(type).HighestSupportedVersion;
        foreach (short version in MessageCatalog.Versions(type))
        {
            for (int seed = 0; seed < 3; seed++)
            {
                var random = new RandomMessages(seed * 1000 + version);
                IApiMessage message = random.Populate(MessageCatalog.Create(type), version, flexible: false);
                byte[] expected = message.ToBytes(version);
                foreach (object owner in NestedStructs(message, version))
                {
                    object ownerDefaults = Activator.CreateInstance(owner.GetType())!;
                    foreach ((PropertyInfo property, KafkaFieldAttribute field) in MessageCatalog.Fields(owner.GetType()))
                    {
                        if (SpecVersions.Parse(field.Versions).Contains(version))
                        {
                            continue;
                        }

                        object? original = property.GetValue(owner);
                        property.SetValue(owner, NonDefault(property, ownerDefaults, random, highest));
                        if (field.Ignorable)
                        {
                            Assert.Equal(expected, message.ToBytes(version));
                        }
                        else
                        {
                            Assert.Throws<UnsupportedVersionException>(() => message.ToBytes(version));
                        }

                        property.SetValue(owner, original);
                    }
                }
            }
        }
    }

    /// <summary>Struct instances inside a populated message that are on the wire at <paramref name="version"/>.</summary>
    private static IEnumerable<object> NestedStructs(object owner, short version)
    {
        foreach ((PropertyInfo property, KafkaFieldAttribute field) in MessageCatalog.Fields(owner.GetType()))
        {
            if (!SpecVersions.Parse(field.Versions).Contains(version) || property.GetValue(owner) is not { } value)
            {
                continue;
            }

            IEnumerable<object> children = value is System.Collections.IList list
                ? list.Cast<object>().Where(e => e.GetType().IsNested)
                : value.GetType().IsNested ? [value] : [];
            foreach (object child in children)
            {
                yield return child;
                foreach (object grandchild in NestedStructs(child, version))
                {
                    yield return grandchild;
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Null_is_refused_where_the_version_does_not_allow_it(string messageName, short version)
    {
        Type type = MessageCatalog.ByName(messageName);
        foreach ((PropertyInfo property, KafkaFieldAttribute field) in MessageCatalog.Fields(type))
        {
            bool present = SpecVersions.Parse(field.Versions).Contains(version);
            bool nullable = SpecVersions.Parse(field.NullableVersions).Contains(version);
            if (!present || nullable || property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null)
            {
                continue;
            }

            IApiMessage message = new RandomMessages(version).Populate(MessageCatalog.Create(type), version, flexible: false);
            property.SetValue(message, null);
            Assert.Throws<InvalidOperationException>(() => message.ToBytes(version));
        }
    }

    private static object NonDefault(PropertyInfo property, object defaults, RandomMessages random, short version)
    {
        object? current = property.GetValue(defaults);
        for (int attempt = 0; attempt < 100; attempt++)
        {
            object candidate = random.RandomValue(property.PropertyType, version, flexible: false);
            if (candidate is System.Collections.IList { Count: 0 })
            {
                continue;
            }

            if (current is null || !IsSame(current, candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"no non-default value for {property.Name}");
    }

    private static bool IsSame(object current, object candidate)
    {
        try
        {
            StructuralAssert.Equal(current, candidate);
            return true;
        }
        catch (Xunit.Sdk.XunitException)
        {
            return false;
        }
    }
}
