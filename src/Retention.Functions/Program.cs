using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Retention.Functions.Composition;
using Retention.Functions.Http;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.AddRetentionFunctions();
using var host = builder.Build();
// Built at start, as the standalone host maps its endpoints, so a pipeline that cannot be built stops the app here.
host.Services.GetRequiredService<RetentionHttpPipeline>();
host.Run();
