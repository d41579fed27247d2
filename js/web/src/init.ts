import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { DocumentLoadInstrumentation } from "@opentelemetry/instrumentation-document-load";
import { FetchInstrumentation } from "@opentelemetry/instrumentation-fetch";
import { XMLHttpRequestInstrumentation } from "@opentelemetry/instrumentation-xml-http-request";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, WebTracerProvider } from "@opentelemetry/sdk-trace-web";
import { CountingExporter, type ExportStats } from "./exporter.js";
import { categorizeFetchSpan } from "./fetch.js";
import { watchGlobalErrors } from "./global-errors.js";
import { FrontendSpanProcessor } from "./processor.js";
import { WorkflowHeadersPropagator } from "./propagator.js";
import { SCOPE_NAME, SCOPE_VERSION, setRuntime } from "./runtime.js";
import { reportWebVitals } from "./vitals.js";
import { categorizeXhrSpan } from "./xhr.js";

export interface E2EWebOptions {
  /** `service.name` of the browser spans, e.g. "storefront-web". */
  serviceName: string;
  /** The collector's OTLP/HTTP base URL (`http://collector:4318`) or its `/v1/traces` URL. */
  collectorUrl: string;
  /**
   * Cross-origin API URL prefixes (strings) or patterns (RegExp) that receive traceparent,
   * baggage, X-Workflow-Type and X-Correlation-ID. Same-origin requests always do.
   */
  apiUrls?: ReadonlyArray<string | RegExp>;
  /** Renders slower than this get `e2e.render.slow=true` (default 100, as the Python config). */
  renderThresholdMs?: number;
  /** Share of new traces kept, 0..1 (default 1); a sampled parent's decision is always followed. */
  sampleRatio?: number;
  /** How long one export may take, retries included (default 10000). */
  exportTimeoutMs?: number;
}

export interface E2EWebHandle {
  /** Export everything finished so far. Never rejects: failures are counted in stats(). */
  forceFlush(): Promise<void>;
  /** Flush, stop the instrumentations and listeners; initE2EWeb may be called again after. */
  shutdown(): Promise<void>;
  stats(): ExportStats;
}

const MAX_QUEUE = 2048;
let active: E2EWebHandle | undefined;

/**
 * Start browser tracing: fetch, XMLHttpRequest and document-load instrumentation, W3C
 * trace-context and baggage propagation to `apiUrls`, web vitals, uncaught errors, a
 * parent-based ratio sampler, OTLP/HTTP JSON export. Idempotent: a second call returns the first handle. Never throws: bad options
 * or a missing browser give a handle that does nothing, with one console.warn.
 */
export function initE2EWeb(options: E2EWebOptions): E2EWebHandle {
  if (active) return active;
  if (typeof window === "undefined" || typeof document === "undefined") return inert();
  let tracesUrl: string;
  try {
    tracesUrl = tracesEndpoint(options.collectorUrl);
  } catch {
    console.warn(`[e2e-otel] initE2EWeb: collectorUrl ${JSON.stringify(options.collectorUrl)} is not a URL; tracing is off`);
    return inert();
  }
  const ratio = options.sampleRatio ?? 1;
  const exportTimeoutMs = options.exportTimeoutMs ?? 10_000;
  const counting = new CountingExporter(new OTLPTraceExporter({ url: tracesUrl, timeoutMillis: exportTimeoutMs }));
  const batch = new BatchSpanProcessor(counting, { maxQueueSize: MAX_QUEUE, exportTimeoutMillis: exportTimeoutMs });
  const processor = new FrontendSpanProcessor(batch, counting, MAX_QUEUE);
  const provider = new WebTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName, "telemetry.distro.name": "e2e-otel" }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1) }),
    spanProcessors: [processor],
  });
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator(), new WorkflowHeadersPropagator()],
    }),
  });
  const propagateTraceHeaderCorsUrls = (options.apiUrls ?? []).map(urlPattern);
  // The exporter bypasses the patched fetch already; this also covers a collector reached
  // through another client.
  const ignoreUrls = [urlPattern(new URL(tracesUrl).origin)];
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new FetchInstrumentation({ propagateTraceHeaderCorsUrls, ignoreUrls, applyCustomAttributesOnSpan: categorizeFetchSpan }),
      // axios (and other XHR clients) in the browser: without this, their requests have no span.
      new XMLHttpRequestInstrumentation({ propagateTraceHeaderCorsUrls, ignoreUrls, applyCustomAttributesOnSpan: categorizeXhrSpan }),
      new DocumentLoadInstrumentation(),
    ],
  });
  setRuntime({
    tracer: provider.getTracer(SCOPE_NAME, SCOPE_VERSION),
    renderThresholdMs: options.renderThresholdMs ?? 100,
    hold: (span, findings) => processor.hold(span, findings),
  });
  const stopErrors = watchGlobalErrors();
  reportWebVitals();

  const forceFlush = (): Promise<void> => provider.forceFlush().catch(() => undefined);
  // After web-vitals' capturing listener on window has reported LCP/CLS/INP (see vitals.ts).
  const onHidden = (): void => {
    if (document.visibilityState === "hidden") void forceFlush();
  };
  const onPageHide = (): void => void forceFlush();
  document.addEventListener("visibilitychange", onHidden);
  addEventListener("pagehide", onPageHide);

  const handle: E2EWebHandle = {
    forceFlush,
    stats: () => counting.stats(),
    async shutdown(): Promise<void> {
      if (active !== handle) return;
      document.removeEventListener("visibilitychange", onHidden);
      removeEventListener("pagehide", onPageHide);
      stopErrors();
      unregister();
      await provider.shutdown().catch(() => undefined);
      setRuntime(undefined);
      active = undefined;
    },
  };
  active = handle;
  return handle;
}

function inert(): E2EWebHandle {
  return { forceFlush: async () => undefined, shutdown: async () => undefined, stats: () => ({ exported: 0, failed: 0, dropped: 0 }) };
}

function tracesEndpoint(collectorUrl: string): string {
  const url = new URL(collectorUrl, typeof location === "undefined" ? undefined : location.href);
  if (!/\/v1\/traces\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`;
  return url.href;
}

/**
 * The fetch instrumentation compares a string to the whole URL; users mean a prefix.
 * `https://api.example.com` matches `https://api.example.com/x` but not `https://api.example.com.evil`.
 */
export function urlPattern(value: string | RegExp): RegExp {
  if (value instanceof RegExp) return value;
  const prefix = value.replace(/\/+$/, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${prefix}(?:[/?#]|$)`);
}
