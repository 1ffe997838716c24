using Chronik.Codegen;

namespace Chronik.Protocol.Tests.Messages;

/// <summary>
/// A fact that needs Kafka's JSON specs at ../shared/kafka-message-specs beside the repository root
/// (the folder holding Chronik.slnx, found by walking up from the test binaries); reported as
/// skipped when they are absent.
/// </summary>
public sealed class SpecsFactAttribute : FactAttribute
{
    public SpecsFactAttribute()
    {
        if (SpecsDirectory is null)
        {
            Skip = "Kafka's JSON message specs (../shared/kafka-message-specs beside the repository) are not on this machine";
        }
    }

    public static string? RepositoryRoot => Generator.FindRepositoryRoot(AppContext.BaseDirectory);

    public static string? SpecsDirectory =>
        RepositoryRoot is { } root && Directory.Exists(Generator.DefaultSpecsDirectory(root)) ? Generator.DefaultSpecsDirectory(root) : null;
}
