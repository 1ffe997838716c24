using Chronik.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chronik.Server.Http;

/// <summary>GET /health/live, GET /health/ready and GET /metrics.</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthAndMetrics(this IEndpointRouteBuilder endpoints)
    {
        // Live: the process runs and serves HTTP. Orchestrators restart a node only when this fails.
        endpoints.MapGet("/health/live", () => Results.Text("live\n"));

        endpoints.MapGet("/health/ready", (IEnumerable<IReadinessProbe> probes) =>
        {
            foreach (var probe in probes)
            {
                Readiness readiness = probe.Check();
                if (!readiness.IsReady)
                {
                    return Results.Text($"not ready: {readiness.Reason}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
                }
            }

            return Results.Text("ready\n");
        });

        endpoints.MapGet("/metrics", (PrometheusMetricsExporter exporter) =>
            Results.Text(exporter.Scrape(), PrometheusMetricsExporter.ContentType));

        return endpoints;
    }
}
