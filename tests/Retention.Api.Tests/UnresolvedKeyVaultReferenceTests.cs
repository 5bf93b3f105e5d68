using Microsoft.Extensions.Configuration;
using Retention.Api.Composition;

namespace Retention.Api.Tests;

/// <summary>A Key Vault reference the platform could not resolve must not become a secret.</summary>
public sealed class UnresolvedKeyVaultReferences
{
    [Fact]
    public void StopTheServiceNamingTheSettingButNotItsValue()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Retention:Admin:Keys:0:Key"] = "@Microsoft.KeyVault(VaultName=kv-retention;SecretName=admin-key)",
            ["Retention:Webhooks:Sources:core:Secrets:0"] = "a-real-resolved-secret-value",
        }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => KeyVaultReferences.RefuseUnresolved(configuration));
        Assert.Contains("Retention:Admin:Keys:0:Key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a-real-resolved-secret-value", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Webhooks", error.Message, StringComparison.Ordinal);
    }
}
