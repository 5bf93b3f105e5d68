using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Retention.Core.Definitions;
using Retention.Host.Composition;

namespace Retention.Host.Functions;

/// <summary>
/// An HTTP trigger in custom-handler mode (<c>enableProxyingHttpRequest: false</c>): the Functions host embeds the
/// caller's request in the invocation payload. It is re-dispatched in process through the app's own pipeline (routing,
/// API-key authentication, problem details, the webhook signature check) as a fresh <see cref="HttpContext"/>, and the
/// response goes back as the <c>res</c> output. Any status the app answers, 4xx and 5xx included, is a successful
/// invocation; only a payload that cannot be read is refused.
/// </summary>
/// <remarks>
/// The body the app sees is <c>Data.req.Body</c> encoded as UTF-8 again. That is byte-for-byte the caller's body
/// whenever it was valid UTF-8 without a byte-order mark (every JSON webhook), so HMAC signatures still verify. The host
/// reads the body only when the request has a Content-Length, so chunked bodies arrive empty.
/// </remarks>
public sealed class HttpTriggerDispatcher(
    ApplicationPipeline pipeline,
    IHttpContextFactory contexts,
    IConfiguration configuration,
    CatalogFreshness catalog,
    ILogger<HttpTriggerDispatcher> logger)
{
    /// <summary>The Functions host's default route prefix, unless host.json sets <c>extensions.http.routePrefix</c>.</summary>
    public const string DefaultRoutePrefix = "api";

    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Proxy-Connection", "Upgrade", "TE", "Trailer",
    };

    public async Task<IResult> DispatchAsync(HttpFunction function, FunctionInvocation invocation, HttpContext invocationContext)
    {
        var errors = new List<DefinitionError>();
        var request = Read(function, invocation, errors);
        if (request is null)
        {
            logger.UnreadableHttpInvocation(function.Name, errors.Count);
            return Problems.Validation(errors, "The invocation's HTTP request cannot be read");
        }
        await catalog.EnsureFreshAsync(invocationContext.RequestAborted);
        var response = await SendThroughAppAsync(request, invocationContext);
        logger.HttpInvocationDispatched(function.Name, request.Method, response.StatusCode);
        var result = new FunctionInvocationResult(new Dictionary<string, HttpResponseOutput> { [HttpFunction.OutputName] = response }, [], null);
        return TypedResults.Json(result, FunctionsJsonContext.Default.FunctionInvocationResult);
    }

    /// <summary>The request the caller sent, as the app would have received it; null with <paramref name="errors"/> when it cannot be read.</summary>
    private EmbeddedRequest? Read(HttpFunction function, FunctionInvocation invocation, List<DefinitionError> errors)
    {
        var pointer = $"/Data/{HttpFunction.TriggerName}";
        if (!invocation.TryGetData(HttpFunction.TriggerName, out var element) || element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new DefinitionError(pointer, "the HTTP request is missing"));
            return null;
        }
        HttpTriggerRequest? trigger;
        try
        {
            trigger = element.Deserialize(FunctionsJsonContext.Default.HttpTriggerRequest);
        }
        catch (JsonException)
        {
            errors.Add(new DefinitionError(pointer, "the HTTP request does not have the shape {Url, Method, Headers, Body}"));
            return null;
        }
        if (trigger?.Url is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            errors.Add(new DefinitionError($"{pointer}/Url", "must be the absolute http(s) URL of the original request"));
            return null;
        }
        if (trigger.Method is not { Length: > 0 } method || !method.All(char.IsAsciiLetter))
        {
            errors.Add(new DefinitionError($"{pointer}/Method", "must be an HTTP method"));
            return null;
        }
        if (AppPath(function, PathString.FromUriComponent(uri)) is not { } path)
        {
            errors.Add(new DefinitionError($"{pointer}/Url", $"the path is not under this function's route /{RoutePrefix()}{function.RouteLiteral}"));
            return null;
        }
        IHeaderDictionary headers = new HeaderDictionary();
        foreach (var (name, value) in trigger.Headers ?? [])
        {
            if (!HopByHopHeaders.Contains(name))
            {
                headers[name] = HeaderValues(value);
            }
        }
        if (!headers.ContainsKey("Host"))
        {
            headers.Host = uri.Authority;
        }
        if (Body(trigger.Body, headers.ContentType, $"{pointer}/Body", errors) is not { } body)
        {
            return null;
        }
        if (body.Length > 0 || trigger.Headers?.Keys.Any(k => string.Equals(k, "Content-Length", StringComparison.OrdinalIgnoreCase)) == true)
        {
            headers.ContentLength = body.Length;
        }
        return new EmbeddedRequest(method.ToUpperInvariant(), uri.Scheme, path, QueryString.FromUriComponent(uri), headers, body);
    }

    /// <summary>Where the caller's path lives in the app: the function's app path followed by whatever came after its route literal.</summary>
    private PathString? AppPath(HttpFunction function, PathString callerPath)
    {
        var routeBase = new PathString("/" + RoutePrefix() + function.RouteLiteral);
        if (!callerPath.StartsWithSegments(routeBase, StringComparison.OrdinalIgnoreCase, out var rest))
        {
            return null;
        }
        if (!function.CatchAll && rest.HasValue && rest.Value != "/")
        {
            return null;
        }
        return new PathString(function.AppPath).Add(rest);
    }

    /// <summary>The route prefix with a trailing slash, or empty when host.json clears it.</summary>
    private string RoutePrefix()
    {
        var prefix = (configuration["extensions:http:routePrefix"] ?? DefaultRoutePrefix).Trim('/');
        return prefix.Length == 0 ? "" : prefix + "/";
    }

    private static StringValues HeaderValues(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => new StringValues(value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()).ToArray()),
        JsonValueKind.String => new StringValues(value.GetString()),
        JsonValueKind.Null or JsonValueKind.Undefined => StringValues.Empty,
        _ => new StringValues(value.GetRawText()),
    };

    /// <summary>The body bytes: UTF-8 of the text the host read, or the Base64 it sends for binary media types.</summary>
    private static byte[]? Body(JsonElement body, string? contentType, string pointer, List<DefinitionError> errors)
    {
        switch (body.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return [];
            case JsonValueKind.String when IsBinaryMediaType(contentType):
                try
                {
                    return Convert.FromBase64String(body.GetString() ?? "");
                }
                catch (FormatException)
                {
                    errors.Add(new DefinitionError(pointer, "a binary body must be Base64"));
                    return null;
                }
            case JsonValueKind.String:
                return Encoding.UTF8.GetBytes(body.GetString() ?? "");
            default:
                // A host that parsed a JSON body hands over the value; its text is the closest we can get to the bytes.
                return Encoding.UTF8.GetBytes(body.GetRawText());
        }
    }

    /// <summary>The media types the Functions host passes as bytes rather than text.</summary>
    private static bool IsBinaryMediaType(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType is { } type &&
        (type.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase) || type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase));

    private async Task<HttpResponseOutput> SendThroughAppAsync(EmbeddedRequest request, HttpContext invocationContext)
    {
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = "HTTP/1.1",
            Scheme = request.Scheme,
            Method = request.Method,
            PathBase = "",
            Path = request.Path.Value ?? "/",
            QueryString = request.Query.Value ?? "",
            RawTarget = request.Path.ToUriComponent() + request.Query.ToUriComponent(),
            Headers = request.Headers,
            Body = new MemoryStream(request.Body, writable: false),
        });
        features.Set<IHttpRequestBodyDetectionFeature>(new RequestBodyDetection(request.Body.Length > 0));
        var response = new BufferedResponse();
        var responseBody = new MemoryStream();
        var bodyFeature = new StreamResponseBodyFeature(responseBody);
        features.Set<IHttpResponseFeature>(response);
        features.Set<IHttpResponseBodyFeature>(bodyFeature);
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = invocationContext.RequestAborted });
        features.Set<IHttpRequestIdentifierFeature>(new HttpRequestIdentifierFeature { TraceIdentifier = invocationContext.TraceIdentifier });
        if (invocationContext.Features.Get<IHttpConnectionFeature>() is { } connection)
        {
            features.Set(connection);
        }
        var context = contexts.Create(features);
        try
        {
            await pipeline.RequestDelegate(context);
            await response.StartAsync();
            await bodyFeature.CompleteAsync();
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in response.Headers)
            {
                if (!HopByHopHeaders.Contains(name))
                {
                    headers[name] = values.ToString();
                }
            }
            var body = Encoding.UTF8.GetString(responseBody.GetBuffer(), 0, (int)responseBody.Length);
            return new HttpResponseOutput(response.StatusCode, response.StatusCode, body, headers);
        }
        finally
        {
            await response.CompleteAsync(); // runs OnCompleted callbacks, which dispose the request's service scope
            contexts.Dispose(context);
        }
    }

    private sealed record EmbeddedRequest(string Method, string Scheme, PathString Path, QueryString Query, IHeaderDictionary Headers, byte[] Body);

    private sealed class RequestBodyDetection(bool canHaveBody) : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody { get; } = canHaveBody;
    }

    /// <summary>
    /// The response side of a re-dispatched request: status and headers as the app sets them, the body in memory. It
    /// "starts" when the app is done, which is when OnStarting callbacks run; OnCompleted callbacks run after it is read.
    /// </summary>
    private sealed class BufferedResponse : HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _onStarting = [];
        private readonly List<(Func<object, Task> Callback, object State)> _onCompleted = [];
        private bool _started;

        public override bool HasStarted => _started;

        public override void OnStarting(Func<object, Task> callback, object state)
        {
            if (_started)
            {
                throw new InvalidOperationException("The response has already started.");
            }
            _onStarting.Add((callback, state));
        }

        public override void OnCompleted(Func<object, Task> callback, object state) => _onCompleted.Add((callback, state));

        public async Task StartAsync()
        {
            if (_started)
            {
                return;
            }
            for (var i = _onStarting.Count - 1; i >= 0; i--)
            {
                await _onStarting[i].Callback(_onStarting[i].State);
            }
            _started = true;
        }

        public async Task CompleteAsync()
        {
            for (var i = _onCompleted.Count - 1; i >= 0; i--)
            {
                await _onCompleted[i].Callback(_onCompleted[i].State);
            }
            _onCompleted.Clear();
        }
    }
}

/// <summary>The app's whole request pipeline, captured when it is built, so an embedded request can be sent through it.</summary>
public sealed class ApplicationPipeline
{
    private RequestDelegate? _requestDelegate;

    public RequestDelegate RequestDelegate => _requestDelegate ?? throw new InvalidOperationException("The application pipeline has not been built yet.");

    /// <summary>Registered first, so the delegate it captures is everything after it: routing, authentication, endpoints.</summary>
    internal sealed class Capture(ApplicationPipeline holder) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(rest =>
            {
                holder._requestDelegate = rest;
                return rest;
            });
            next(app);
        };
    }
}
