import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-web";
import type { QueueAccounting } from "./processor.js";

/** Export counters: spans the collector accepted, spans whose export failed, spans we dropped. */
export interface ExportStats {
  exported: number;
  failed: number;
  dropped: number;
}

const WARN_EVERY_MS = 60_000;

/**
 * Counts what happens to every span handed to the real exporter. A failed export (collector
 * down, CORS refused, 4xx/5xx) is counted and logged with one console.warn a minute at most:
 * telemetry loss must never become the page's problem.
 */
export class CountingExporter implements SpanExporter, QueueAccounting {
  private readonly counts: ExportStats = { exported: 0, failed: 0, dropped: 0 };
  private handedOn = 0;
  private lastWarn = -Infinity;

  constructor(
    private readonly inner: SpanExporter,
    private readonly now: () => number = () => Date.now(),
    private readonly warn: (message: string) => void = (m) => console.warn(m),
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.handedOn += spans.length;
    let reported = false;
    const report = (result: ExportResult): void => {
      if (reported) return;
      reported = true;
      if (result.code === ExportResultCode.SUCCESS) {
        this.counts.exported += spans.length;
      } else {
        this.counts.failed += spans.length;
        this.maybeWarn(result.error);
      }
      resultCallback(result);
    };
    try {
      this.inner.export(spans, report);
    } catch (error) {
      report({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  inFlight(): number {
    return this.handedOn - this.counts.exported - this.counts.failed;
  }

  drop(count: number): void {
    this.counts.dropped += count;
  }

  stats(): ExportStats {
    return { ...this.counts };
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }

  private maybeWarn(error: Error | undefined): void {
    const now = this.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    const reason = error?.message ?? "unknown error";
    this.warn(
      `[e2e-otel] span export failed (${reason}); ${this.counts.failed} span(s) lost so far. ` +
        "Check the collector URL and its CORS allowed_origins. Next warning in a minute at most.",
    );
  }
}
