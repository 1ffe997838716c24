using Chronik.Broker.Configs;

namespace Chronik.Broker.Tests.Partitions;

/// <summary>Broker configs as the server builds them: catalog defaults, plus explicitly set values.</summary>
internal static class TestConfigs
{
    public static BrokerConfigs Create(params (string Name, string Value)[] set)
    {
        var entries = new List<BrokerConfigEntry>();
        foreach (var definition in BrokerConfigCatalog.All)
        {
            string? explicitValue = null;
            foreach (var (name, value) in set)
            {
                if (name == definition.Name)
                {
                    explicitValue = value;
                }
            }

            string? text = explicitValue ?? definition.Default;
            object? typed = null;
            if (text is not null && !definition.TryParse(text, out typed, out string problem))
            {
                throw new ArgumentException($"{definition.Name}={text} {problem}");
            }

            entries.Add(new BrokerConfigEntry(definition, text, typed, explicitValue is null ? BrokerConfigSource.DefaultConfig : BrokerConfigSource.StaticBrokerConfig));
        }

        return new BrokerConfigs(entries);
    }
}
