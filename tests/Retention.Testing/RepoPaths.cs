namespace Retention.Testing;

public static class RepoPaths
{
    /// <summary>The repository root: the folder holding Retention.sln.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Retention.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Retention.sln not found above the test binaries.");
    }

    public static string ShippedJourneys => Path.Combine(Root, "config", "journeys");
}

/// <summary>A temporary folder of journey files, deleted on dispose.</summary>
public sealed class JourneyFolder : IDisposable
{
    public JourneyFolder(params string[] journeys)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "retention-journeys-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        for (var i = 0; i < journeys.Length; i++)
        {
            File.WriteAllText(System.IO.Path.Combine(Path, $"journey-{i}.json"), journeys[i]);
        }
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
