using Azure;
using DurableTask.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Retention.Engine;

namespace Retention.Engine.Tests;

/// <summary>
/// An activity work item that cannot be completed during a storage outage is abandoned once storage answers, so DTFx
/// releases its session and the message can run again (a failed abandon would leave it refused for good). DTFx's
/// backend failing on cue is an edge we cannot run, hence the mock.
/// </summary>
public sealed class ActivityAbandonRetryTests
{
    [Fact]
    public async Task AnAbandonThatFailsOnStorageIsRetriedUntilStorageAnswers()
    {
        var backend = new Mock<IOrchestrationService>();
        var calls = 0;
        backend.Setup(b => b.AbandonTaskActivityWorkItemAsync(It.IsAny<TaskActivityWorkItem>()))
            .Returns(() => ++calls < 3 ? Task.FromException(new AggregateException(new RequestFailedException(0, "Connection refused"))) : Task.CompletedTask);

        await new ActivityAbandonRetry(backend.Object, NullLogger.Instance).AbandonTaskActivityWorkItemAsync(new TaskActivityWorkItem { Id = "m1" });

        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task AFailureThatIsNotAnOutageIsNotRetried()
    {
        var backend = new Mock<IOrchestrationService>();
        backend.Setup(b => b.AbandonTaskActivityWorkItemAsync(It.IsAny<TaskActivityWorkItem>())).ThrowsAsync(new InvalidOperationException("a bug"));

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new ActivityAbandonRetry(backend.Object, NullLogger.Instance).AbandonTaskActivityWorkItemAsync(new TaskActivityWorkItem { Id = "m1" }));
        backend.Verify(b => b.AbandonTaskActivityWorkItemAsync(It.IsAny<TaskActivityWorkItem>()), Times.Once);
    }
}
