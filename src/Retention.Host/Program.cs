using Retention.Host;

var builder = WebApplication.CreateBuilder(args);
builder.AddRetention();

var app = builder.Build();
app.MapRetention();
app.Run();

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
