import { trace, type Tracer } from "@opentelemetry/api";
import type { LateFindings } from "./processor.js";

export const SCOPE_NAME = "@e2e-otel/web";
export const SCOPE_VERSION = "0.1.0";

/** What initE2EWeb set up; the helpers work (as no-ops for telemetry) before it runs. */
export interface Runtime {
  readonly tracer: Tracer;
  readonly renderThresholdMs: number;
  hold(span: object, findings: Promise<LateFindings | undefined>): void;
}

let runtime: Runtime | undefined;

export function setRuntime(value: Runtime | undefined): void {
  runtime = value;
}

export function getTracer(): Tracer {
  return runtime?.tracer ?? trace.getTracer(SCOPE_NAME, SCOPE_VERSION);
}

export function renderThresholdMs(): number {
  return runtime?.renderThresholdMs ?? 100;
}

export function holdSpan(span: object, findings: Promise<LateFindings | undefined>): void {
  runtime?.hold(span, findings);
}
