using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Retention.Ui.Tests;

internal static class PageExtensions
{
    /// <summary>Presses Tab (Shift+Tab when backwards) until the focused element matches the selector, as a keyboard user would move to it.</summary>
    public static async Task TabToAsync(this IPage page, string selector, int maxPresses = 80, bool backwards = false)
    {
        for (var i = 0; i < maxPresses; i++)
        {
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) ?? false", selector))
            {
                return;
            }
            await page.Keyboard.PressAsync(backwards ? "Shift+Tab" : "Tab");
        }
        var focused = await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML?.slice(0, 200) ?? 'nothing'");
        throw new Xunit.Sdk.XunitException($"Tab never reached {selector}; focus is on {focused}");
    }

    public static Task<bool> FocusIsInsideAsync(this IPage page, string selector) =>
        page.EvaluateAsync<bool>("s => document.activeElement?.closest(s) !== null", selector);

    /// <summary>A full-page screenshot under TestResults/screenshots, the path written to the test output.</summary>
    public static async Task<string> SaveScreenshotAsync(this IPage page, string name, ITestOutputHelper output)
    {
        var path = Path.Combine(UiHost.ScreenshotFolder, $"{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
        return path;
    }
}
