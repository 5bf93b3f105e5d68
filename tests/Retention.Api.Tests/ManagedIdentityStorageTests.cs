using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Retention.Storage;

namespace Retention.Api.Tests;

/// <summary>
/// Given an account name or endpoints instead of a connection string, the storage clients authenticate with a token
/// credential (the managed identity in Azure). Checked without a network: a policy
/// stops each request after authentication and records it.
/// </summary>
public sealed class StorageAccountWithManagedIdentity
{
    [Fact]
    public void AnAccountNameGivesThePublicCloudEndpoints()
    {
        var account = new StorageAccount(new StorageOptions { AccountName = "retentionprod" }, credential: new FixedToken());
        Assert.Equal(new Uri("https://retentionprod.table.core.windows.net/"), account.Tables.Uri);
        Assert.Equal(new Uri("https://retentionprod.blob.core.windows.net/"), account.Blobs.Uri);
    }

    [Fact]
    public void ExplicitEndpointsWinOverTheAccountName()
    {
        var account = new StorageAccount(new StorageOptions
        {
            AccountName = "retentionprod",
            BlobEndpoint = new Uri("https://retentionprod.privatelink.blob.core.windows.net/"),
        }, credential: new FixedToken());
        Assert.Equal(new Uri("https://retentionprod.privatelink.blob.core.windows.net/"), account.Blobs.Uri);
        Assert.Equal(new Uri("https://retentionprod.table.core.windows.net/"), account.Tables.Uri);
    }

    [Fact]
    public void AConnectionStringWinsOverIdentitySettings()
    {
        var options = new StorageOptions { ConnectionString = StorageOptions.DevelopmentConnectionString, AccountName = "retentionprod" };
        Assert.False(options.UsesIdentity);
        Assert.Equal("devstoreaccount1", new StorageAccount(options).Tables.AccountName);
    }

    [Fact]
    public void AnEndpointThatCanBeNeitherReadNorDerivedIsNamed()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new StorageAccount(new StorageOptions { TableEndpoint = new Uri("https://x.table.core.windows.net/") }, credential: new FixedToken()));
        Assert.Contains("QueueEndpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TableRequestsCarryTheBearerToken()
    {
        var recorder = new StopAndRecord();
        var account = new StorageAccount(new StorageOptions { AccountName = "retentionprod" }, recorder, new FixedToken());
        await Assert.ThrowsAsync<RequestStopped>(() => account.Table("instances").GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("p", "r"));
        Assert.Equal("Bearer fixed-token", Assert.Single(recorder.Requests).Authorization);
    }

    private sealed class FixedToken : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("fixed-token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed class RequestStopped : Exception
    {
        public RequestStopped()
            : base("stopped before the network")
        {
        }
    }

    private sealed record RecordedRequest(Uri Uri, string? Authorization, string Body);

    /// <summary>Runs where StorageAccount places its observer (per retry, after authentication) and stops the request there.</summary>
    private sealed class StopAndRecord : HttpPipelinePolicy
    {
        public List<RecordedRequest> Requests { get; } = [];

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw Record(message);

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw Record(message);

        private RequestStopped Record(HttpMessage message)
        {
            message.Request.Headers.TryGetValue("Authorization", out var authorization);
            var body = "";
            if (message.Request.Content is { } content)
            {
                using var buffer = new MemoryStream();
                content.WriteTo(buffer, CancellationToken.None);
                body = Encoding.UTF8.GetString(buffer.ToArray());
            }
            Requests.Add(new RecordedRequest(message.Request.Uri.ToUri(), authorization, body));
            return new RequestStopped();
        }
    }
}
