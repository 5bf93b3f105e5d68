using System.Text.Json.Nodes;
using Retention.Application.Instances;
using Retention.Application.Routing;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>The instance-control use case without HTTP, on the in-memory engine under virtual time.</summary>
public sealed class InstanceControlWithoutHttp : IDisposable
{
    private const string Waiting = """
        { "id": "controlled", "trigger": { "type": "event", "event": "sale.completed" }, "start": "w", "steps": [
          { "id": "w", "type": "wait", "duration": "PT1H", "next": "done" },
          { "id": "done", "type": "exit", "outcome": "waited" } ] }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Waiting]);

    public InstanceControlWithoutHttp() => _host.CreateClient();

    public void Dispose() => _host.Dispose();

    private async Task<string> StartAsync()
    {
        var journey = _host.Get<IJourneyCatalog>().Active.Single(j => j.Id == "controlled");
        var trigger = new CustomerEvent("c1", "test", "sale.completed", _host.Now, "IC1", new JsonObject { ["customerId"] = "IC1" });
        var id = Assert.IsType<Started>(await _host.Get<JourneyRouter>().StartAsync(journey, trigger, CancellationToken.None)).InstanceId;
        await _host.AdvanceAsync(TimeSpan.FromSeconds(1));
        return id;
    }

    [Fact]
    public async Task AnswersNotFoundForAnUnknownInstance() =>
        Assert.IsType<ControlNotFound>(await _host.Get<InstanceControl>().ApplyAsync("controlled:nobody", new JourneySignal(SignalKind.Suspend),
            _ => true, TimeSpan.Zero, CancellationToken.None));

    [Fact]
    public async Task SignalsAnAllowedControlAndRefusesOneTheStatusDoesNot()
    {
        var id = await StartAsync();
        var control = _host.Get<InstanceControl>();

        Assert.IsType<ControlRefused>(await control.ApplyAsync(id, new JourneySignal(SignalKind.Resume), s => s == InstanceStatus.Suspended, TimeSpan.Zero, CancellationToken.None));
        var requested = Assert.IsType<ControlRequested>(await control.ApplyAsync(id, new JourneySignal(SignalKind.Suspend, Reason: "test"),
            s => !s.IsFinished(), TimeSpan.Zero, CancellationToken.None));
        await _host.AdvanceAsync(TimeSpan.FromSeconds(1));

        Assert.NotEqual(InstanceStatus.Suspended, requested.Before.Status);
        Assert.Equal(InstanceStatus.Suspended, (await _host.Get<IJourneyInstances>().GetAsync(id, CancellationToken.None))!.State.Status);
    }
}
