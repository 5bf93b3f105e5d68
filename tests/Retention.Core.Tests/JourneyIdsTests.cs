using Retention.Core.Runtime;

namespace Retention.Core.Tests;

public sealed class JourneyIds
{
    [Theory]
    [InlineData("post-sale-follow-up", "C001", null, "post-sale-follow-up:C001")]
    [InlineData("post-sale-follow-up", "C001", "S1", "post-sale-follow-up:C001:S1")]
    [InlineData("post-sale-follow-up", "bank:C001", "S1", "post-sale-follow-up:bank:C001:S1")]
    public void AnInstanceIdReadsBackItsJourneyWhateverTheCustomerHolds(string journeyId, string customerId, string? keyPart, string expected)
    {
        var id = new InstanceId(journeyId, customerId, keyPart).ToString();

        Assert.Equal(expected, id);
        Assert.Equal(journeyId, InstanceId.JourneyOf(id));
        Assert.Equal(keyPart is null ? customerId : $"{customerId}:{keyPart}", InstanceId.CustomerAndKeyOf(id));
    }

    [Fact]
    public void ASendKeyIsItsOccurrenceAndItsFallbackHasItsOwn()
    {
        var key = SendKeys.Of(new OccurrenceKey("j:bank:C1", "thank-you", 2));

        Assert.Equal("j:bank:C1/thank-you/2", key);
        Assert.Equal("j:bank:C1/thank-you/2/fallback", SendKeys.FallbackOf(key));
    }
}
