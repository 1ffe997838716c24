using Chronik.Broker.Configs;

namespace Chronik.Broker.Tests.Admin;

/// <summary>Broker configs as chronik-server builds them: every catalog entry, the given ones static, the rest at their (standalone) defaults.</summary>
internal static class TestBrokerConfigs
{
    public static BrokerConfigs Create(IReadOnlyDictionary<string, string>? statics = null)
    {
        var entries = new List<BrokerConfigEntry>(BrokerConfigCatalog.All.Count);
        foreach (BrokerConfigDefinition definition in BrokerConfigCatalog.All)
        {
            bool isStatic = statics is not null && statics.ContainsKey(definition.Name);
            string? text = isStatic ? statics![definition.Name]
                : BrokerConfigCatalog.StandaloneDefaults.TryGetValue(definition.Name, out string? standalone) ? standalone
                : definition.Default;
            object? typed = null;
            if (text is not null && !definition.TryParse(text, out typed, out string problem))
            {
                throw new ArgumentException($"{definition.Name}: '{text}' {problem}");
            }

            entries.Add(new BrokerConfigEntry(definition, typed is null ? null : ConfigValueParser.Format(typed), typed,
                isStatic ? BrokerConfigSource.StaticBrokerConfig : BrokerConfigSource.DefaultConfig));
        }

        return new BrokerConfigs(entries);
    }
}
