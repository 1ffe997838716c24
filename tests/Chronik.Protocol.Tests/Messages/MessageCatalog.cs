using System.Reflection;
using Chronik.Protocol.Messages;

namespace Chronik.Protocol.Tests.Messages;

/// <summary>Every generated top-level message type, found through its [KafkaMessage] attribute.</summary>
internal static class MessageCatalog
{
    public static readonly IReadOnlyList<Type> MessageTypes = typeof(IApiMessage).Assembly.GetTypes()
        .Where(t => t.GetCustomAttribute<KafkaMessageAttribute>() is not null)
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToList();

    public static Type ByName(string name) => MessageTypes.Single(t => t.Name == name);

    public static KafkaMessageAttribute Spec(Type type) => type.GetCustomAttribute<KafkaMessageAttribute>()!;

    public static IEnumerable<short> Versions(Type type)
    {
        SpecVersions valid = SpecVersions.Parse(Spec(type).ValidVersions);
        for (short v = valid.Lowest; v <= valid.Highest; v++)
        {
            yield return v;
        }
    }

    public static bool IsFlexible(Type type, short version) => SpecVersions.Parse(Spec(type).FlexibleVersions).Contains(version);

    public static IApiMessage Create(Type type) => (IApiMessage)Activator.CreateInstance(type)!;

    /// <summary>The generated properties of a message or struct class, in declaration order.</summary>
    public static IEnumerable<(PropertyInfo Property, KafkaFieldAttribute Field)> Fields(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, p.GetCustomAttribute<KafkaFieldAttribute>()))
            .Where(x => x.Item2 is not null)
            .OrderBy(x => x.p.MetadataToken)
            .Select(x => (x.p, x.Item2!));

    /// <summary>xunit data: every message type with every valid version.</summary>
    public static TheoryData<string, short> AllVersions()
    {
        var data = new TheoryData<string, short>();
        foreach (Type type in MessageTypes)
        {
            foreach (short version in Versions(type))
            {
                data.Add(type.Name, version);
            }
        }

        return data;
    }

    public static TheoryData<string> AllTypes() => new(MessageTypes.Select(t => t.Name));
}
