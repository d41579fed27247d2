// Runs once in each Next.js server runtime before it serves requests: the server half of the
// trace. The browser half is instrumentation-client.ts.
import { configFromEnv } from "./lib/config";

export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return; // the edge runtime is not used here
  const { apiUrl, collectorUrl } = configFromEnv(process.env);
  // @vercel/otel's "auto" exporter sends OTLP/HTTP (protobuf) to OTEL_EXPORTER_OTLP_ENDPOINT. The
  // demo's scripts only set OTEL_COLLECTOR_URL (the browser's collector), so default to it.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT ||= collectorUrl;

  const { registerOTel } = await import("@vercel/otel");
  const { E2EServerSpanProcessor, WorkflowHeadersPropagator } = await import("@e2e-otel/web/server");
  registerOTel({
    serviceName: "shop-web-server",
    // Ours first: it tags each span at its start (e2e.layer, the workflow from the baggage);
    // "auto" is @vercel/otel's batch export to OTEL_EXPORTER_OTLP_ENDPOINT.
    spanProcessors: [new E2EServerSpanProcessor(), "auto"],
    // "auto" = W3C trace context + baggage (needed: the workflow arrives as baggage) + Vercel's;
    // the workflow headers give Django X-Workflow-Type / X-Correlation-ID as the browser does.
    propagators: ["auto", new WorkflowHeadersPropagator()],
    // @vercel/otel's fetch spans (it turns Next's own off with NEXT_OTEL_FETCH_DISABLED=1);
    // only these propagate the context, and only to these URLs.
    instrumentationConfig: { fetch: { propagateContextUrls: [apiUrl] } },
  });
}
