using System.Collections.Immutable;
using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Controller;

/// <summary>What a controller decision answers and the records that make it true once committed.</summary>
public sealed record ControllerResult<T>(T Response, ImmutableArray<MetadataRecord> Records);

internal static class ControllerResult
{
    public static ControllerResult<T> Of<T>(T response, IEnumerable<MetadataRecord> records) => new(response, [.. records]);

    public static ControllerResult<T> Of<T>(T response) => new(response, []);
}
