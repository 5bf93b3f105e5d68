using System.Xml.Linq;

namespace Retention.Core.Tests;

/// <summary>
/// The project graph is the architecture (DESIGN.md, "Layers"): each project under src/ references only the projects its
/// layer may, read from the csproj files, so a reference across a layer fails here before it spreads.
/// </summary>
public sealed class ProjectGraph
{
    private const string Core = "Retention.Core";
    private const string Journeys = "Retention.Journeys";
    private const string Application = "Retention.Application";
    private const string Storage = "Retention.Storage";
    private const string Engine = "Retention.Engine";
    private const string Channels = "Retention.Channels";
    private const string Api = "Retention.Api";
    private const string Host = "Retention.Host";
    private const string Functions = "Retention.Functions";

    /// <summary>What each project may reference. A project missing here fails <see cref="EveryProjectHasItsPlace"/>.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        [Core] = [],
        // The orchestrations, against Microsoft.DurableTask and Core; they also hold the engine's ports.
        [Journeys] = [Core],
        // Core and its ports; Journeys too, for what the use cases start and raise on the engine: the engine port
        // (IJourneyInstances) and the orchestrations' pinned names, inputs and signals, which are part of the durable
        // history and so live beside the orchestrations. Stores, providers and the renderer only through Core's ports.
        [Application] = [Core, Journeys],
        // The ports it implements: Core's, and Journeys' instance index and recent events.
        [Storage] = [Core, Journeys],
        // The port it implements (IJourneyInstances) and the storage account's settings its task hub shares.
        [Engine] = [Core, Journeys, Storage],
        [Channels] = [Core],
        [Api] = [Core, Journeys, Application, Storage, Channels],
        [Host] = [Api, Engine],
        [Functions] = [Api],
    };

    private static readonly string[] Adapters = [Storage, Engine, Channels];

    private static readonly string[] ForbiddenInCore = ["Azure", "Microsoft.Azure", "Microsoft.AspNetCore", "Microsoft.DurableTask", "DurableTask"];

    private sealed record ProjectFile(string Name, XDocument Xml)
    {
        public IReadOnlyList<string> References =>
            [.. Xml.Descendants("ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value))];

        public IEnumerable<string> Items(string kind) => Xml.Descendants(kind).Select(p => p.Attribute("Include")?.Value ?? "");

        /// <summary>An executable: OutputType Exe, or the Web SDK, whose default output is one.</summary>
        public bool IsExecutable =>
            Xml.Descendants("OutputType").Any(o => o.Value.Trim().Equals("Exe", StringComparison.OrdinalIgnoreCase))
            || (Xml.Root?.Attribute("Sdk")?.Value.StartsWith("Microsoft.NET.Sdk.Web", StringComparison.Ordinal) ?? false);

        public string? Description => Xml.Descendants("Description").FirstOrDefault()?.Value;
    }

    private static readonly Dictionary<string, ProjectFile> Projects = Read();

    private static Dictionary<string, ProjectFile> Read()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Retention.sln")))
        {
            root = root.Parent;
        }
        Assert.NotNull(root);
        // src/<Name>/<Name>.csproj: not the projects tools generate under obj/.
        return Directory.GetDirectories(Path.Combine(root.FullName, "src"))
            .Select(d => Path.Combine(d, Path.GetFileName(d) + ".csproj"))
            .Where(File.Exists)
            .Select(f => new ProjectFile(Path.GetFileNameWithoutExtension(f), XDocument.Load(f)))
            .ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    [Fact]
    public void EveryProjectHasItsPlace() =>
        Assert.Equal(Allowed.Keys.Order(StringComparer.Ordinal), Projects.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void EachProjectReferencesOnlyWhatItsLayerMay()
    {
        var wrong = Projects.Values
            .SelectMany(p => p.References.Where(r => !Allowed[p.Name].Contains(r)).Select(r => $"{p.Name} -> {r}"))
            .ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void CoreReferencesNothingOfOursAndNoAzureAspNetCoreOrDurableTask()
    {
        var core = Projects[Core];
        Assert.Empty(core.References);
        Assert.DoesNotContain(core.Items("PackageReference"), p => ForbiddenInCore.Any(f => p == f || p.StartsWith(f + ".", StringComparison.Ordinal)));
        Assert.DoesNotContain(core.Items("FrameworkReference"), f => f.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void ApplicationUsesNoAzureNorAspNetCoreOfItsOwn()
    {
        // Tables, queues, blobs and HTTP are the adapters' and the edge's: the use cases reach them through ports.
        var application = Projects[Application];
        Assert.DoesNotContain(application.Items("PackageReference"), p => p.StartsWith("Azure", StringComparison.Ordinal) || p.StartsWith("Microsoft.Azure", StringComparison.Ordinal) || p.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(application.Items("FrameworkReference"), f => f.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void NoProjectReferencesAnExecutable()
    {
        Assert.True(Projects[Host].IsExecutable && Projects[Functions].IsExecutable); // the check does recognise both hosts
        var wrong = Projects.Values
            .SelectMany(p => p.References.Where(r => Projects[r].IsExecutable).Select(r => $"{p.Name} -> {r}"))
            .ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void AdaptersReferenceNoWorkflowNorTheEdge()
    {
        var wrong = Adapters
            .SelectMany(a => Projects[a].References.Where(r => r is Application or Api || Projects[r].IsExecutable).Select(r => $"{a} -> {r}"))
            .ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void EveryProjectSaysWhatBelongsInIt() =>
        Assert.Empty(Projects.Values.Where(p => string.IsNullOrWhiteSpace(p.Description)).Select(p => p.Name));
}
