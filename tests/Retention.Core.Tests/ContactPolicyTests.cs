using System.Text.Json.Nodes;
using Retention.Core.Contact;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Runtime;

namespace Retention.Core.Tests;

/// <summary>The one send decision the sender and the simulator share: fallback, consent, quiet hours, caps and expiry.</summary>
public class ContactPolicyDecide
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly DateTimeOffset MondayTen = new(2026, 3, 2, 10, 0, 0, TimeSpan.FromHours(8));
    private readonly ContactPolicy _policy = new(new ContactPolicyOptions(), Shanghai);

    private static SendMessage Marketing(string key, MessageChannel? fallback = null, DateTimeOffset? expiresAt = null) =>
        new(key, Guid.Empty, MondayTen, "offer:C1:S1", "offer", 1, "send", "C1", MessageChannel.Sms, MessageCategory.Marketing, "offer", [], fallback, expiresAt);

    private static JsonObject Customer(string? phone = "+8613800138000", string consent = "opted-in") => new()
    {
        ["customerId"] = "C1", ["phone"] = phone, ["email"] = "c1@example.com",
        ["consent"] = new JsonObject { ["sms"] = consent, ["email"] = consent },
    };

    [Fact]
    public void AllowsAndCountsTheSendAmongTheRecentContactsWhenTheCapHasRoom()
    {
        var recent = new[] { new RecentContact("other", MondayTen.AddDays(-8)), new RecentContact("earlier", MondayTen.AddDays(-1)) };

        var allow = Assert.IsType<Allow>(_policy.Decide(Marketing("k"), Customer(), recent, MondayTen));

        Assert.Equal(("+8613800138000", MessageChannel.Sms), (allow.To, allow.Channel));
        Assert.Equal([new RecentContact("earlier", MondayTen.AddDays(-1)), new RecentContact("k", MondayTen)], allow.Recent); // the week-old one has left the window
    }

    [Fact]
    public void DefersUntilTheOldestCountedContactLeavesTheWindowAndDropsWhatWouldExpireFirst()
    {
        var recent = new[] { new RecentContact("a", MondayTen.AddDays(-2)), new RecentContact("b", MondayTen.AddDays(-1)) };

        var defer = Assert.IsType<Defer>(_policy.Decide(Marketing("k"), Customer(), recent, MondayTen));
        Assert.Equal(MondayTen.AddDays(5), defer.Until);
        Assert.StartsWith("frequency cap of 2 marketing messages per 7 days", defer.Reason, StringComparison.Ordinal);

        var dropped = Assert.IsType<Suppress>(_policy.Decide(Marketing("k", expiresAt: MondayTen.AddDays(1)), Customer(), recent, MondayTen));
        Assert.True(dropped.Expired);
        Assert.EndsWith("expired before the cap allowed it", dropped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ASuppressedAddressStopsMarketingWhateverTheCustomersConsentButNotServiceMessages()
    {
        var suppress = Assert.IsType<Suppress>(_policy.Decide(Marketing("k"), Customer(consent: "opted-in"), [], MondayTen, addressSuppressed: true));
        Assert.Equal("the phone number opted out of marketing, for every customer who has it", suppress.Reason);

        var service = Marketing("k") with { Category = MessageCategory.Service };
        Assert.IsType<Allow>(_policy.Decide(service, Customer(consent: "opted-in"), [], MondayTen, addressSuppressed: true));
    }

    [Fact]
    public void ASendAlreadyCountedIsNotCappedByItself()
    {
        var recent = new[] { new RecentContact("a", MondayTen.AddDays(-2)), new RecentContact("k", MondayTen.AddHours(-1)) };
        Assert.IsType<Allow>(_policy.Decide(Marketing("k"), Customer(), recent, MondayTen));
    }

    [Fact]
    public void FallsBackWhenOnlyTheFallbackChannelHasAnAddress()
    {
        var fallback = Assert.IsType<Fallback>(_policy.Decide(Marketing("k", MessageChannel.Email), Customer(phone: null), [], MondayTen));

        Assert.Equal((MessageChannel.Email, "k/fallback"), (fallback.Send.Channel, fallback.Send.SendKey));
        Assert.Equal("no sms address; sent by email", fallback.Reason);
    }

    [Fact]
    public void RefusesMarketingWithoutConsentAndDefersItThroughQuietHours()
    {
        var refused = Assert.IsType<Suppress>(_policy.Decide(Marketing("k"), Customer(consent: "opted-out"), [], MondayTen));
        Assert.False(refused.Expired);

        var late = Assert.IsType<Defer>(_policy.Decide(Marketing("k"), Customer(), [], MondayTen.AddHours(12))); // 22:00 local
        Assert.Equal((MondayTen.AddDays(1).AddHours(-2), "quiet hours"), (late.Until, late.Reason));
    }
}

/// <summary>What an event does to a profile: the stored one, an instance's copy and a simulation's alike.</summary>
public class ProfileChangeOf
{
    private static CustomerEvent Event(string type, JsonObject data) => new("e1", "core", type, DateTimeOffset.UnixEpoch, "C1", data);

    [Fact]
    public void AnUpsertMergesTheProfileWithoutItsCustomerIdAndIsOrderedByTime()
    {
        var change = Assert.IsType<ProfileMerge>(ProfileChange.Of(Event("customer.upserted",
            new JsonObject { ["customerId"] = "C1", ["name"] = "Li", ["attributes"] = new JsonObject { ["a"] = 1 } })));
        var profile = new JsonObject { ["customerId"] = "C1", ["name"] = "Old", ["attributes"] = new JsonObject { ["b"] = 2 } };

        change.ApplyTo(profile);

        Assert.True(change.IsOrderedByTime);
        Assert.Equal("""{"customerId":"C1","name":"Li","attributes":{"b":2,"a":1}}""", profile.ToJsonString());
    }

    [Fact]
    public void ConsentAndSegmentsSetOneFieldWhateverTheirTime()
    {
        var profile = new JsonObject();
        var consent = ProfileChange.Of(Event("consent.changed", new JsonObject { ["channel"] = "sms", ["status"] = "opted-out" }))!;
        consent.ApplyTo(profile);
        ProfileChange.Of(Event("customer.tier_changed", new JsonObject { ["from"] = "base", ["to"] = "top" }))!.ApplyTo(profile);

        Assert.False(consent.IsOrderedByTime);
        Assert.Equal("""{"consent":{"sms":"opted-out"},"tier":"top"}""", profile.ToJsonString());
        Assert.Null(ProfileChange.Of(Event("sale.completed", [])));
    }
}

/// <summary>The contact policy's options, checked before the policy runs on them.</summary>
public class ContactPolicyOptionsErrors
{
    [Fact]
    public void TheDefaultsHaveNone() => Assert.Empty(new ContactPolicyOptions().Errors());

    [Theory]
    [InlineData("9pm")]
    [InlineData("25:00")]
    [InlineData("")]
    public void AQuietHoursEndThatIsNotATimeOfDayNamesItsSetting(string start)
    {
        var options = new ContactPolicyOptions();
        options.QuietHours["marketing"].Start = start;

        var error = Assert.Single(options.Errors());

        Assert.StartsWith("Retention:Contact:QuietHours:marketing:Start", error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => options.QuietHours["marketing"].Window());
    }

    [Fact]
    public void QuietHoursReadHoursWithOrWithoutALeadingZero()
    {
        var quiet = new QuietHours { Start = "21:30", End = "8:00" };

        Assert.Equal((new TimeOnly(21, 30), new TimeOnly(8, 0)), quiet.Window());
        Assert.Null(new QuietHours { Start = "08:00", End = "8:00" }.Window());
    }
}

/// <summary>One form of an address for every lookup: what providers and people write, read as E.164.</summary>
public class ContactAddressNormalize
{
    [Theory]
    [InlineData("+8613800138000")]
    [InlineData("8613800138000")]
    [InlineData("008613800138000")]
    [InlineData("+86 138-0013-8000")]
    [InlineData(" +86 (138) 0013.8000 ")]
    public void ReadsEveryWayOfWritingTheNumberAsOne(string written) =>
        Assert.Equal("+8613800138000", ContactAddress.Phone(written));

    [Fact]
    public void ReadsACSsSampleSenderWithoutThePlus() => Assert.Equal("+15555555555", ContactAddress.Phone("15555555555"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("BANK")]
    [InlineData("+86 138 0013 8000 ext 5")]
    [InlineData("12")]
    public void RefusesWhatIsNotAPhoneNumber(string? written) => Assert.Null(ContactAddress.Phone(written));

    [Fact]
    public void ReadsAnEmailAddressInLowerCase() =>
        Assert.Equal("li.lei@example.com", ContactAddress.Normalize(MessageChannel.Email, " Li.Lei@Example.COM "));
}
