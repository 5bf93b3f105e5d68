using System.Reflection;
using Microsoft.Extensions.Logging;
using Retention.Functions.Composition;

namespace Retention.Functions.Tests;

/// <summary>
/// Every <c>[LoggerMessage]</c> of the product has an event id of its own, inside its assembly's range, so a log query
/// by id finds one message. This project references every product assembly, so all of them are read here.
/// </summary>
public sealed class LoggerMessageEventIds
{
    /// <summary>Each assembly's range of event ids; an assembly with no logs has none.</summary>
    private static readonly Dictionary<string, (int From, int To)> Ranges = new(StringComparer.Ordinal)
    {
        ["Retention.Core"] = (0, -1),
        ["Retention.Application"] = (1000, 1999),
        ["Retention.Storage"] = (6000, 6999),
        ["Retention.Engine"] = (7000, 7999),
        ["Retention.Api"] = (2000, 2999),
        ["Retention.Channels"] = (3000, 3999),
        ["Retention.Journeys"] = (4000, 4999),
        ["Retention.Functions"] = (5000, 5999),
    };

    private static IEnumerable<(Assembly Assembly, MethodInfo Method, LoggerMessageAttribute Message)> Messages() =>
        ProductAssemblies().SelectMany(assembly => assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(method => (assembly, method, message: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.message is not null)
            .Select(m => (m.assembly, m.method, m.message!)));

    /// <summary>The Functions app, the standalone host's engine, and every product assembly they reach through their references.</summary>
    private static IEnumerable<Assembly> ProductAssemblies()
    {
        var found = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>([typeof(FunctionsComposition).Assembly, typeof(Retention.Engine.DurableTaskEngine).Assembly]);
        while (pending.TryDequeue(out var assembly))
        {
            if (found.TryAdd(assembly.GetName().Name!, assembly))
            {
                foreach (var reference in assembly.GetReferencedAssemblies().Where(IsProduct))
                {
                    pending.Enqueue(Assembly.Load(reference));
                }
            }
        }
        return found.Values;
    }

    private static bool IsProduct(AssemblyName name) => name.Name is { } n && Ranges.ContainsKey(n);

    [Fact]
    public void EveryProductAssemblyIsRead() =>
        Assert.Equal(Ranges.Keys.Order(StringComparer.Ordinal), ProductAssemblies().Select(a => a.GetName().Name!).Order(StringComparer.Ordinal));

    [Fact]
    public void AreUniqueAcrossTheProduct()
    {
        var messages = Messages().ToList();
        Assert.NotEmpty(messages);
        var repeated = messages.GroupBy(m => m.Message.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => $"{m.Method.DeclaringType!.FullName}.{m.Method.Name}"))}")
            .ToList();
        Assert.Empty(repeated);
    }

    [Fact]
    public void LieInTheirAssemblysRange()
    {
        var outside = Messages()
            .Where(m => Ranges[m.Assembly.GetName().Name!] is var (from, to) && (m.Message.EventId < from || m.Message.EventId > to))
            .Select(m => $"{m.Method.DeclaringType!.FullName}.{m.Method.Name} ({m.Message.EventId})")
            .ToList();
        Assert.Empty(outside);
    }

    [Fact]
    public void ComeFromOneLogsClassPerAssembly()
    {
        var classes = Messages().GroupBy(m => m.Assembly.GetName().Name!)
            .Where(g => g.Select(m => m.Method.DeclaringType!.FullName).Distinct().Count() > 1 || g.Any(m => m.Method.DeclaringType!.Name != "Logs"))
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method.DeclaringType!.FullName).Distinct())}")
            .ToList();
        Assert.Empty(classes);
    }
}
