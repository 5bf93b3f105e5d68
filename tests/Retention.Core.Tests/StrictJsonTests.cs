using Retention.Core.Definitions;

namespace Retention.Core.Tests;

public class StrictJsonCheck
{
    [Theory]
    [InlineData("""{"id":"a","id":"b"}""", "/id")]
    [InlineData("""{"data":{"customerId":"a","customerId":"a"}}""", "/data/customerId")]
    [InlineData("""{"data":{"attributes":{"k":1,"x":{"k":1},"k":2}}}""", "/data/attributes/k")]
    [InlineData("""[{"id":"a"},{"id":"b"},{"type":"x","id":"c","id":"d"}]""", "/2/id")]
    [InlineData("""{"steps":[{"id":"a"},{"id":"b","next":"c","next":"d"}]}""", "/steps/1/next")]
    [InlineData("""{"a/b~c":1,"a\/b~c":2}""", "/a~1b~0c")]
    [InlineData("""{"id":1,"\u0069d":2}""", "/id")]
    public void RefusesARepeatedMemberNameAtItsSecondOccurrence(string json, string path)
    {
        var error = StrictJson.Check(System.Text.Encoding.UTF8.GetBytes(json));
        Assert.NotNull(error);
        Assert.Equal(path, error.Path);
        Assert.Contains("repeats the member name", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}""")]
    [InlineData("[1,2,[3]]")]
    [InlineData("\"text\"")]
    public void AcceptsTheSameNameInDifferentObjects(string json) =>
        Assert.Null(StrictJson.Check(System.Text.Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("", "")]
    [InlineData("{\"a\":", "/a")]
    [InlineData("{\"a\":[1,2,}", "/a/1")]
    [InlineData("{} {}", "")]
    [InlineData("{\"a\":1,}", "/a")]
    public void NamesWhereMalformedJsonBreaks(string json, string path)
    {
        var error = StrictJson.Check(System.Text.Encoding.UTF8.GetBytes(json));
        Assert.NotNull(error);
        Assert.Equal(path, error.Path);
    }

    [Theory]
    [InlineData("$", "")]
    [InlineData("$.customerId", "/customerId")]
    [InlineData("$.data.items[2].name", "/data/items/2/name")]
    [InlineData("$['a b'].c", "/a b/c")]
    public void TranslatesSerializerPathsToPointers(string path, string pointer) => Assert.Equal(pointer, StrictJson.PointerOf(path));

    [Fact]
    public void TheDefinitionReaderRefusesARepeatedStepField()
    {
        var errors = new JourneyDefinitionReader().Read("""
            { "id": "j", "trigger": { "type": "api" }, "start": "a", "steps": [ { "id": "a", "type": "exit", "type": "wait" } ] }
            """).Errors;
        Assert.Equal("/steps/0/type", Assert.Single(errors).Path);
    }
}
