using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Core.Events;

namespace Retention.Core.Tests;

public class CloudEventReaderRead
{
    private static (IncomingEvent? Event, List<DefinitionError> Errors) Read(string json, string prefix = "")
    {
        var errors = new List<DefinitionError>();
        return (CloudEventReader.Read(JsonNode.Parse(json), prefix, errors), errors);
    }

    [Fact]
    public void AcceptsAValidCustomerEvent()
    {
        var (e, errors) = Read("""{"specversion":"1.0","id":"1","source":"crm","type":"customer.upserted","time":"2026-03-02T01:00:00Z","data":{"customerId":"C1","phone":"+8613800138000","timeZone":"Asia/Shanghai","birthday":"1990-02-28","consent":{"sms":"opted-in"}}}""");
        Assert.Empty(errors);
        Assert.Equal("C1", e!.CustomerId);
    }

    [Fact]
    public void NamesEveryBadFieldWithItsPathInsideABatch()
    {
        var (_, errors) = Read("""{"specversion":"0.3","id":"1","source":"crm","type":"customer.upserted","data":{"phone":"12345","email":"nope","timeZone":"Mars/Olympus","birthday":"1990-13-01","consent":{"sms":"maybe"}}}""", "/2");
        Assert.Equal(
            new[] { "/2/specversion", "/2/data/customerId", "/2/data/phone", "/2/data/email", "/2/data/timeZone", "/2/data/birthday", "/2/data/consent/sms" }.Order(),
            errors.Select(e => e.Path).Order());
    }

    [Fact]
    public void ChecksTypedFieldsOfTransactionsAndComplaints()
    {
        Assert.Contains(Read("""{"specversion":"1.0","id":"1","source":"s","type":"transaction.posted","data":{"customerId":"C1","transactionId":"T1","amount":"lots"}}""").Errors, e => e.Path == "/data/amount");
        Assert.Contains(Read("""{"specversion":"1.0","id":"1","source":"s","type":"complaint.opened","data":{"customerId":"C1","complaintId":"K1","severity":"urgent"}}""").Errors, e => e.Path == "/data/severity");
    }

    [Fact]
    public void AcceptsCustomTypesThatNameACustomer()
    {
        Assert.Empty(Read("""{"specversion":"1.0","id":"1","source":"s","type":"survey.answered","data":{"customerId":"C1","score":4}}""").Errors);
        Assert.Contains(Read("""{"specversion":"1.0","id":"1","source":"s","type":"Not A Type","data":{"customerId":"C1"}}""").Errors, e => e.Path == "/type");
    }
}
