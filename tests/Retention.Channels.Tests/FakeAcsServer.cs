using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Retention.Channels.Tests;

/// <summary>
/// A local stand-in for ACS on Kestrel (127.0.0.1, a free port). It checks every request's HMAC signature with its
/// own implementation of the algorithm (401 when wrong), implements SMS repeatability and email Operation-Id
/// idempotency, and answers per recipient so each test picks its scenario by address.
/// </summary>
public sealed class FakeAcsServer : IAsyncDisposable
{
    // SMS recipients and what the server does for them.
    public const string SmsAccepted = "+15550000202";
    public const string SmsRecipientInvalid = "+15550000400";
    public const string SmsRecipientThrottled = "+15550000429";
    public const string SmsThrottled = "+15551110429";
    public const string SmsServerError = "+15551110500";
    public const string SmsUnavailableUntil = "+15551110503";

    /// <summary>The Retry-After date sent with a 503 for <see cref="SmsUnavailableUntil"/>.</summary>
    public const string RetryAfterDate = "Mon, 01 Jan 2024 00:00:30 GMT";
    public const string SmsSlow = "+15551110999";

    // Email recipients and what the server does for them.
    public const string EmailAccepted = "li.lei@example.com";
    public const string EmailInvalid = "bad@example.com";
    public const string EmailThrottled = "throttled@example.com";
    public const string EmailServerError = "down@example.com";

    private readonly WebApplication _app;
    private readonly byte[] _key;
    private readonly ConcurrentDictionary<string, JsonObject> _smsByRepeatabilityId = new();
    private readonly ConcurrentDictionary<string, string> _emailStatus = new();
    private int _smsSends;
    private int _emailSends;

    private FakeAcsServer(WebApplication app, byte[] key)
    {
        _app = app;
        _key = key;
    }

    public Uri Endpoint { get; private set; } = null!;

    public string ConnectionString => $"endpoint={Endpoint};accesskey={Convert.ToBase64String(_key)}";

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>SMS actually sent: a repeat of a repeatability id is answered from memory and not counted.</summary>
    public int SmsSends => Volatile.Read(ref _smsSends);

    /// <summary>Emails actually queued: a repeat of an Operation-Id is not counted.</summary>
    public int EmailSends => Volatile.Read(ref _emailSends);

    public static async Task<FakeAcsServer> StartAsync(byte[] key)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeAcsServer(app, key);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.Endpoint = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var signed = SignatureIsValid(context.Request, target, body);
        Requests.Enqueue(new RecordedRequest(context.Request.Method, target,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            Encoding.UTF8.GetString(body), signed));
        if (!signed)
        {
            await ErrorAsync(context, HttpStatusCode.Unauthorized, "Denied", "Denied by the HMAC signature check.");
            return;
        }
        var path = context.Request.Path.Value;
        if (context.Request.Method == "POST" && path == "/sms")
        {
            await SmsAsync(context, JsonNode.Parse(body)!.AsObject());
        }
        else if (context.Request.Method == "POST" && path == "/emails:send")
        {
            await EmailAsync(context, JsonNode.Parse(body)!.AsObject());
        }
        else
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, "NotFound", "No such route.");
        }
    }

    /// <summary>The algorithm of ACS.md, written out again here so the provider is checked against an independent copy.</summary>
    private bool SignatureIsValid(HttpRequest request, string target, byte[] body)
    {
        var date = request.Headers["x-ms-date"].ToString();
        var hash = request.Headers["x-ms-content-sha256"].ToString();
        if (date.Length == 0 || hash != Convert.ToBase64String(SHA256.HashData(body)))
        {
            return false;
        }
        var stringToSign = $"{request.Method}\n{target}\n{date};{request.Host.Value};{hash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(stringToSign)));
        return request.Headers.Authorization.ToString() == $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}";
    }

    private async Task SmsAsync(HttpContext context, JsonObject body)
    {
        var recipient = body["smsRecipients"]![0]!.AsObject();
        var to = recipient["to"]!.GetValue<string>();
        switch (to)
        {
            case SmsThrottled:
                context.Response.Headers.RetryAfter = "7";
                await ErrorAsync(context, HttpStatusCode.TooManyRequests, "TooManyRequests", "Rate limit exceeded.");
                return;
            case SmsServerError:
                await ErrorAsync(context, HttpStatusCode.InternalServerError, "InternalError", "Something went wrong.");
                return;
            case SmsUnavailableUntil:
                context.Response.Headers.RetryAfter = RetryAfterDate;
                await ErrorAsync(context, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "Try later.");
                return;
            case SmsSlow:
                await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
                return;
        }
        var repeatabilityId = recipient["repeatabilityRequestId"]!.GetValue<string>();
        JsonObject result;
        if (_smsByRepeatabilityId.TryGetValue(repeatabilityId, out var earlier))
        {
            // ACS repeatability: a repeat is answered with the earlier result and nothing is sent again.
            result = earlier.DeepClone().AsObject();
            result["repeatabilityResult"] = "accepted";
        }
        else
        {
            result = to switch
            {
                SmsRecipientInvalid => new JsonObject
                {
                    ["to"] = to, ["httpStatusCode"] = 400, ["successful"] = false,
                    ["errorMessage"] = $"Invalid To phone number {to}.",
                },
                SmsRecipientThrottled => new JsonObject
                {
                    ["to"] = to, ["httpStatusCode"] = 429, ["successful"] = false, ["errorMessage"] = "Too many messages to this number.",
                },
                _ => new JsonObject
                {
                    ["to"] = to, ["messageId"] = $"Outgoing_{Interlocked.Increment(ref _smsSends)}_noam", ["httpStatusCode"] = 202, ["successful"] = true,
                },
            };
            _smsByRepeatabilityId[repeatabilityId] = result.DeepClone().AsObject();
        }
        await JsonAsync(context, HttpStatusCode.Accepted, new JsonObject { ["value"] = new JsonArray(result) });
    }

    private async Task EmailAsync(HttpContext context, JsonObject body)
    {
        var to = body["recipients"]!["to"]![0]!["address"]!.GetValue<string>();
        switch (to)
        {
            case EmailInvalid:
                await ErrorAsync(context, HttpStatusCode.BadRequest, "InvalidRecipient", $"The recipient {to} is not a valid address.");
                return;
            case EmailThrottled:
                context.Response.Headers.RetryAfter = "7";
                await ErrorAsync(context, HttpStatusCode.TooManyRequests, "TooManyRequests", "Rate limit exceeded.");
                return;
            case EmailServerError:
                await ErrorAsync(context, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "Try later.");
                return;
        }
        var operationId = context.Request.Headers["Operation-Id"].ToString();
        if (!Guid.TryParse(operationId, out _))
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, "InvalidOperationId", "Operation-Id must be a UUID.");
            return;
        }
        if (_emailStatus.TryAdd(operationId, "Running"))
        {
            Interlocked.Increment(ref _emailSends);
        }
        context.Response.Headers["Operation-Location"] = new Uri(Endpoint, $"emails/operations/{operationId}?api-version=2023-03-31").ToString();
        context.Response.Headers.RetryAfter = "30";
        await JsonAsync(context, HttpStatusCode.Accepted, new JsonObject { ["id"] = operationId, ["status"] = _emailStatus[operationId] });
    }

    private static Task ErrorAsync(HttpContext context, HttpStatusCode status, string code, string message) =>
        JsonAsync(context, status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    private static async Task JsonAsync(HttpContext context, HttpStatusCode status, JsonObject body)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, string Body, bool SignatureValid)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
}
