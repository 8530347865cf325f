using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace GptLab.Server;

/// <summary>
/// On a host other than loopback every request must carry the token: <c>?token=</c> (the URL printed at start-up;
/// it then becomes a same-site cookie, so the page's own requests carry it), an <c>Authorization: Bearer</c>
/// header, or that cookie. Loopback needs none, as Jupyter and TensorBoard behave.
/// </summary>
internal sealed class TokenGate(string? token)
{
    public const string Cookie = "gptlab_token";

    public string? Token { get; } = token;

    public static bool IsLoopback(string host) =>
        host is "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    public static string Generate() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public async Task Invoke(HttpContext http, RequestDelegate next)
    {
        if (Token is null) { await next(http); return; }
        string? given = http.Request.Query["token"].FirstOrDefault();
        bool fromQuery = given is not null;
        given ??= http.Request.Headers.Authorization.FirstOrDefault() is string a && a.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? a[7..].Trim() : null;   // the scheme is case-insensitive (RFC 9110)
        given ??= http.Request.Cookies[Cookie];
        if (given is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(Token)))
        {
            http.Response.StatusCode = 401;
            await http.Response.WriteAsync("a token is required: open the URL `gptlab serve` printed (…/?token=…)");
            return;
        }
        if (fromQuery)
            http.Response.Cookies.Append(Cookie, Token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        await next(http);
    }
}
