using System.Collections;
using System.Reflection;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Messages;

/// <summary>
/// Fills generated messages with random values valid for one version, by reflection over the
/// [KafkaField] attributes: fields the version lacks stay default, nullable ones are sometimes
/// null, tagged ones sometimes default (so they are omitted), and flexible versions get unknown
/// tagged fields at free tags.
/// </summary>
internal sealed class RandomMessages(int seed)
{
    private const string Alphabet = "abcXYZ019 _-.é中ß";

    private readonly Random _random = new(seed);

    public T Populate<T>(T message, short version, bool flexible)
        where T : class
    {
        PopulateObject(message, version, flexible);
        return message;
    }

    private void PopulateObject(object target, short version, bool flexible)
    {
        var knownTags = new HashSet<int>();
        foreach ((PropertyInfo property, KafkaFieldAttribute field) in MessageCatalog.Fields(target.GetType()))
        {
            if (field.Tag >= 0)
            {
                knownTags.Add(field.Tag);
            }

            if (!SpecVersions.Parse(field.Versions).Contains(version))
            {
                continue;
            }

            if (SpecVersions.Parse(field.TaggedVersions).Contains(version) && _random.Next(3) == 0)
            {
                continue;
            }

            if (SpecVersions.Parse(field.NullableVersions).Contains(version) && _random.Next(4) == 0)
            {
                property.SetValue(target, null);
                continue;
            }

            property.SetValue(target, RandomValue(property.PropertyType, version, flexible));
        }

        if (flexible && _random.Next(3) == 0)
        {
            var unknown = new List<TaggedField>();
            int tag = 0;
            for (int i = _random.Next(1, 4); i > 0; i--)
            {
                tag += _random.Next(1, 20);
                if (!knownTags.Contains(tag))
                {
                    unknown.Add(new TaggedField(tag, RandomBytes(6)));
                }
            }

            target.GetType().GetProperty("UnknownTaggedFields")!.SetValue(target, unknown);
        }
    }

    public object RandomValue(Type type, short version, bool flexible)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(sbyte))
        {
            return (sbyte)_random.Next(sbyte.MinValue, sbyte.MaxValue + 1);
        }

        if (type == typeof(short))
        {
            return (short)_random.Next(short.MinValue, short.MaxValue + 1);
        }

        if (type == typeof(ushort))
        {
            return (ushort)_random.Next(ushort.MaxValue + 1);
        }

        if (type == typeof(int))
        {
            return _random.Next(int.MinValue, int.MaxValue);
        }

        if (type == typeof(long))
        {
            return _random.NextInt64(long.MinValue, long.MaxValue);
        }

        if (type == typeof(double))
        {
            return (_random.NextDouble() - 0.5) * 1e9;
        }

        if (type == typeof(bool))
        {
            return _random.Next(2) == 1;
        }

        if (type == typeof(Guid))
        {
            return new Guid(RandomBytes(16, 16));
        }

        if (type == typeof(string))
        {
            var chars = new char[_random.Next(12)];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[_random.Next(Alphabet.Length)];
            }

            return new string(chars);
        }

        if (type == typeof(byte[]))
        {
            return RandomBytes(20);
        }

        if (type == typeof(ReadOnlyMemory<byte>))
        {
            return new ReadOnlyMemory<byte>(RandomBytes(40));
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            Type element = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(type)!;
            for (int i = _random.Next(4); i > 0; i--)
            {
                list.Add(RandomValue(element, version, flexible));
            }

            return list;
        }

        if (type.IsClass && type.IsNested)
        {
            object nested = Activator.CreateInstance(type)!;
            PopulateObject(nested, version, flexible);
            return nested;
        }

        throw new NotSupportedException($"no random value for {type}");
    }

    private byte[] RandomBytes(int maxLength, int minLength = 0)
    {
        var bytes = new byte[_random.Next(minLength, maxLength + 1)];
        _random.NextBytes(bytes);
        return bytes;
    }
}
