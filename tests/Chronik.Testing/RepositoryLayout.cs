namespace Chronik.Testing;

/// <summary>Folders of the repository the tests run from (found by walking up to Chronik.slnx).</summary>
public static class RepositoryLayout
{
    private static readonly Lazy<string> Located = new(Locate);

    /// <summary>The folder holding Chronik.slnx.</summary>
    public static string Root => Located.Value;

    /// <summary>An absolute path inside the repository, e.g. <c>InRepository("tests", "Chronik.Compat", "js")</c>.</summary>
    public static string InRepository(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Chronik.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Chronik.slnx above {AppContext.BaseDirectory}: tests must run from a checkout of the repository");
    }
}
