using System.Reflection;
using Retention.Core.Runtime;

namespace Retention.Core.Tests;

/// <summary>The core stays pure: nothing it loads, directly or through its packages, is Azure, ASP.NET Core or Durable Task.</summary>
public class CoreAssemblyReferences
{
    private static readonly string[] Forbidden = ["Azure", "Microsoft.Azure", "Microsoft.AspNetCore", "Microsoft.DurableTask", "DurableTask"];

    /// <summary>Every assembly the core references, and theirs, except the runtime's own.</summary>
    private static List<AssemblyName> References()
    {
        var found = new Dictionary<string, AssemblyName>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>([typeof(JourneyInterpreter).Assembly]);
        while (pending.TryDequeue(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name is { } name && !IsRuntime(name) && found.TryAdd(name, reference))
                {
                    pending.Enqueue(Assembly.Load(reference));
                }
            }
        }
        return [.. found.Values];
    }

    private static bool IsRuntime(string name) => name is "mscorlib" or "netstandard" || name.StartsWith("System", StringComparison.Ordinal);

    [Fact]
    public void IncludeNoAzureAspNetCoreOrDurableTaskAssembly()
    {
        var references = References();

        Assert.Contains(references, r => r.Name == "Cronos"); // the walk does reach the core's packages
        Assert.DoesNotContain(references, r => Forbidden.Any(f => r.Name == f || r.Name!.StartsWith(f + ".", StringComparison.Ordinal)));
    }
}
