using System.Text.Json;
using Retention.Host.Functions;
using Retention.Storage.Work;

namespace Retention.Host.Tests.Functions;

/// <summary>Reading <c>Data.msg</c> in each form a Functions host may send it.</summary>
public sealed class WorkMessageTextRead
{
    private static readonly string Timer = WorkQueue.Serialize(new TimerMessage("journey:C1:S1", 7, new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero)));

    private static JsonElement Element(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void ReadsTheMessageTextAsTheDocumentationShowsIt() =>
        Assert.Equal(new TimerMessage("journey:C1:S1", 7, new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero)), WorkMessageText.Read(Element(JsonSerializer.Serialize(Timer))));

    [Fact]
    public void ReadsTheTextSerialisedOnceMoreAsTheHostsSourceDoes() =>
        Assert.IsType<TimerMessage>(WorkMessageText.Read(Element(JsonSerializer.Serialize(JsonSerializer.Serialize(Timer)))));

    [Fact]
    public void ReadsAnObject() =>
        Assert.IsType<TimerMessage>(WorkMessageText.Read(Element(Timer)));

    [Theory]
    [InlineData("\"not json\"")]
    [InlineData("\"{\\\"type\\\":\\\"unknown\\\"}\"")]
    [InlineData("42")]
    [InlineData("[]")]
    [InlineData("{\"instanceId\":\"x\"}")]
    public void ReadsNothingThatIsNotWork(string json) => Assert.Null(WorkMessageText.Read(Element(json)));

    [Fact]
    public void StopsUnwrappingAfterTwoLevels()
    {
        var threeTimes = JsonSerializer.Serialize(JsonSerializer.Serialize(JsonSerializer.Serialize(Timer)));
        Assert.IsType<TimerMessage>(WorkMessageText.Read(Element(threeTimes)));
        Assert.Null(WorkMessageText.Read(Element(JsonSerializer.Serialize(threeTimes))));
    }
}
