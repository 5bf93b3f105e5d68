using System.Text.Json.Nodes;
using Retention.Application.Scheduling;
using Retention.Storage.Scheduling;

namespace Retention.Api.Tests.Programs;

/// <summary>Birthday and holiday greetings under virtual time: 09:00 local, once a year or once per occasion, in the customer's language.</summary>
public sealed class GreetingJourneys : IDisposable
{
    private readonly ProgramHost _host = new("birthday-greeting", "holiday-greetings");

    public void Dispose() => _host.Dispose();

    private static DateTimeOffset At(int year, int month, int day, int hour, string zone) =>
        new DateTimeOffset(new DateTime(year, month, day, hour, 0, 0), TimeZoneInfo.FindSystemTimeZoneById(zone).GetUtcOffset(new DateTime(year, month, day, hour, 0, 0)));

    [Fact]
    public async Task ALeapDayBirthdayIsGreetedOnThe28thInOtherYearsOnceAYearInChinese()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("B1", "+8613800000031", locale: "zh-CN", name: "李雷", birthday: "1996-02-29"));
        await _host.AdvanceToAsync(new DateTimeOffset(2027, 1, 10, 0, 0, 0, TimeSpan.Zero));
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("B1", "+8613800000031", locale: "zh-CN", name: "李雷", birthday: "1996-02-29"));
        await _host.AdvanceToAsync(new DateTimeOffset(2028, 3, 2, 0, 0, 0, TimeSpan.Zero));

        var greetings = await _host.MessagesAsync("B1");
        Assert.Equal(
            [At(2027, 2, 28, 9, "Asia/Shanghai"), At(2028, 2, 29, 9, "Asia/Shanghai")],
            greetings.Select(m => m.SentAt));
        Assert.All(greetings, m => Assert.StartsWith("李雷，祝您生日快乐！", m.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AChangedBirthdayMovesTheGreeting()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("B2", "+12125550132", timeZone: "America/New_York", birthday: "1990-03-10"));
        await _host.AdvanceToAsync(new DateTimeOffset(2026, 3, 5, 0, 0, 0, TimeSpan.Zero));
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("B2", "+12125550132", timeZone: "America/New_York", birthday: "1990-03-20"));
        await _host.AdvanceToAsync(new DateTimeOffset(2026, 3, 25, 0, 0, 0, TimeSpan.Zero));

        var greeting = Assert.Single(await _host.MessagesAsync("B2"));
        Assert.Equal(At(2026, 3, 20, 9, "America/New_York"), greeting.SentAt); // 13:00Z, daylight time since 8 March
        Assert.Equal("Happy birthday, Ada! A birthday gift is waiting for you in your account this month. Reply STOP to opt out.", greeting.Body);
    }

    [Fact]
    public async Task TheSpringFestivalGreetingReachesEachCustomerAtNineTheirTimeAndOrdinaryDaysStartNobody()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("H1", "+8613800000033", locale: "zh-CN", name: "韩梅梅"));
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("H2", "+12125550134", timeZone: "America/New_York"));
        var scheduler = _host.Factory.Get<Scheduler>();

        await _host.AdvanceToAsync(At(2027, 2, 5, 0, "Asia/Shanghai").AddMinutes(5)); // an ordinary day
        await scheduler.TickAsync(CancellationToken.None);
        await _host.AdvanceToAsync(At(2027, 2, 6, 0, "Asia/Shanghai").AddMinutes(5)); // 春节
        await scheduler.TickAsync(CancellationToken.None);
        await _host.AdvanceToAsync(At(2027, 2, 7, 12, "Asia/Shanghai"));

        var chinese = Assert.Single(await _host.MessagesAsync("H1"));
        Assert.Equal((At(2027, 2, 6, 9, "Asia/Shanghai"), "韩梅梅，新春快乐！祝您新的一年身体健康、万事如意。回复退订可取消。"), (chinese.SentAt, chinese.Body));
        var english = Assert.Single(await _host.MessagesAsync("H2"));
        Assert.Equal((At(2027, 2, 6, 9, "America/New_York"), "spring-festival"), (english.SentAt, english.StepId));
    }
}

/// <summary>The referral ("snowball") journeys: a voucher for the referrer once the referred customer pays, once per referral.</summary>
public sealed class ReferralJourneys : IDisposable
{
    private readonly ProgramHost _host = new("referral-first-payment", "referral-reward");

    public void Dispose() => _host.Dispose();

    private Task PayAsync(string customerId, string transactionId, decimal amount, string? eventId = null) =>
        _host.PostAsync("transaction.posted", new JsonObject { ["customerId"] = customerId, ["transactionId"] = transactionId, ["amount"] = amount, ["currency"] = "CNY" }, eventId);

    [Fact]
    public async Task TheReferrerEarnsAScaledVoucherOnlyAfterPaymentAndOncePerReferral()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("R1", "+8613800000041"));
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("F1", "+8613800000042"));
        await _host.PostAsync("referral.registered", new JsonObject { ["customerId"] = "F1", ["referrerId"] = "R1", ["referralId"] = "RF1" });
        await _host.PostAsync("referral.registered", new JsonObject { ["customerId"] = "F2", ["referrerId"] = "R1", ["referralId"] = "RF2" });
        await _host.AdvanceToAsync(_host.Now.AddDays(3));
        Assert.Empty(await _host.MessagesAsync("R1")); // nothing before payment

        await PayAsync("F1", "T1", 2500m, eventId: "tx-1");
        _host.Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await PayAsync("F1", "T1", 2500m, eventId: "tx-1"); // the same webhook again
        await PayAsync("F1", "T2", 9000m);                  // a second payment of the same referral earns nothing more
        await PayAsync("F2", "T3", 120m);

        Assert.Equal(
            [
                "Thank you for introducing a friend! You have earned a 40 voucher; your referral vouchers now total 40.",
                "Thank you for introducing a friend! You have earned a 20 voucher; your referral vouchers now total 60.",
            ],
            (await _host.MessagesAsync("R1")).Select(m => m.Body));
        var attributes = (await _host.CustomerAsync("R1"))["attributes"]!;
        Assert.Equal((60m, 20m), (attributes["referralVouchers"]!.GetValue<decimal>(), attributes["lastReferralVoucher"]!.GetValue<decimal>()));
    }
}
