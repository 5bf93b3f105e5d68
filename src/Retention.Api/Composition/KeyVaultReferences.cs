namespace Retention.Api.Composition;

public static class KeyVaultReferences
{
    /// <summary>
    /// An app setting whose Key Vault reference the platform could not resolve (no access yet, a missing secret) arrives
    /// as the reference text itself. Used as an admin key or webhook secret it would be a guessable secret, so the
    /// service refuses to start instead, naming the settings (never their values).
    /// </summary>
    public static void RefuseUnresolved(IConfiguration configuration)
    {
        var unresolved = configuration.AsEnumerable()
            .Where(kv => kv.Value?.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase) == true)
            .Select(kv => kv.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (unresolved.Count > 0)
        {
            throw new InvalidOperationException(
                $"Key Vault references were not resolved for {string.Join(", ", unresolved)}. Check that the app's identity has Key Vault Secrets User on the vault and that the secrets exist.");
        }
    }
}
