using System.Reflection;

namespace Retention.Api.Tests;

/// <summary>The test command runs <c>Category=RealProcesses</c> alone after the rest; the collection and the trait must agree.</summary>
public sealed class RealProcessesCategory
{
    [Fact]
    public void EveryClassOfTheRealProcessesCollectionCarriesItsTraitAndNoOtherDoes()
    {
        var classes = typeof(RealProcessesCategory).Assembly.GetTypes().Where(t => t.IsClass).ToList();
        var inCollection = Named(classes.Where(t => Has(t, typeof(CollectionAttribute), RealProcesses.Name)));
        var withTrait = Named(classes.Where(t => Has(t, typeof(TraitAttribute), RealProcesses.Trait, RealProcesses.Category)));

        Assert.Equal(["HostKilledMidJourney", "HostRestartedGracefully", "IngestKilledAfterAcknowledgement", "InstanceRowWriteLostInAnOutage", "StorageOutage", "TwoReplicas"], inCollection);
        Assert.Equal(inCollection, withTrait);
    }

    private static bool Has(Type type, Type attribute, params string[] arguments) =>
        type.GetCustomAttributesData().Any(a => a.AttributeType == attribute
            && a.ConstructorArguments.Select(c => c.Value as string).SequenceEqual(arguments));

    private static List<string> Named(IEnumerable<Type> types) => types.Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
}
