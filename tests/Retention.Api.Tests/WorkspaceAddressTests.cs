using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>The workspace lives at /workspace in both hosts; the standalone host sends its old address there.</summary>
public sealed class WorkspaceAddress : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public void Dispose() => _host.Dispose();

    [Theory]
    [InlineData("/admin", "/workspace/")]
    [InlineData("/admin/", "/workspace/")]
    [InlineData("/admin/index.html?lang=en", "/workspace/index.html?lang=en")]
    public async Task TheOldAddressRedirectsToTheWorkspace(string path, string location)
    {
        using var client = _host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(location, response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task TheWorkspaceIsServedUnderItsOwnPath()
    {
        using var response = await _host.CreateClient().GetAsync(new Uri("/workspace/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
