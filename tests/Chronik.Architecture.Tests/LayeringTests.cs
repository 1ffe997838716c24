using System.Reflection;

namespace Chronik.Architecture.Tests;

/// <summary>
/// The layers of DESIGN.md reference downward only: Protocol ← Storage ← Cluster ← Broker ← Server,
/// with Search beside Cluster (Protocol and Storage only). A reference pointing up fails here.
/// </summary>
public class LayeringTests
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Chronik.Protocol"] = [],
        ["Chronik.Storage"] = ["Chronik.Protocol"],
        ["Chronik.Cluster"] = ["Chronik.Protocol", "Chronik.Storage"],
        ["Chronik.Search"] = ["Chronik.Protocol", "Chronik.Storage"],
        ["Chronik.Broker"] = ["Chronik.Protocol", "Chronik.Storage", "Chronik.Cluster"],
        ["chronik-server"] = ["Chronik.Protocol", "Chronik.Storage", "Chronik.Cluster", "Chronik.Broker", "Chronik.Search"],
    };

    public static TheoryData<string> Layers() => new(Allowed.Keys);

    [Theory]
    [MemberData(nameof(Layers))]
    public void Layer_references_only_the_layers_below_it(string layer)
    {
        string dir = AppContext.BaseDirectory;
        var assembly = Assembly.LoadFrom(Path.Combine(dir, layer + ".dll"));
        var ours = assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("Chronik.", StringComparison.Ordinal) || n == "chronik-server")
            .ToArray();

        var illegal = ours.Except(Allowed[layer]).ToArray();
        Assert.True(illegal.Length == 0, $"{layer} references {string.Join(", ", illegal)}, which sit above it or beside it");
    }
}
