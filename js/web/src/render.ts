import { context } from "@opentelemetry/api";
import { hrTime } from "@opentelemetry/core";
import { ATTR_RENDER_COMPONENT, ATTR_RENDER_SLOW } from "./attributes.js";
import { markFailed } from "./fetch.js";
import { getTracer, renderThresholdMs } from "./runtime.js";

export interface RenderTiming {
  /** Emit the `render <name>` span; later calls do nothing. Returns the duration in ms. */
  end(): number;
}

/**
 * Time a render from now until `end()`. Nothing is recorded until `end()`, so a render that
 * never commits (a StrictMode double render, a suspended tree) costs nothing. Spans over the
 * renderThresholdMs of initE2EWeb carry `e2e.render.slow=true`.
 */
export function startRenderTiming(name: string): RenderTiming {
  const startTime = hrTime();
  const started = performance.now();
  const parent = context.active();
  let duration: number | undefined;
  return {
    end(): number {
      if (duration !== undefined) return duration;
      duration = performance.now() - started;
      try {
        const span = getTracer().startSpan(
          `render ${name}`,
          { startTime, attributes: { [ATTR_RENDER_COMPONENT]: name, [ATTR_RENDER_SLOW]: duration > renderThresholdMs() } },
          parent,
        );
        span.end();
      } catch {
        // Telemetry must not break a render.
      }
      return duration;
    },
  };
}

/**
 * For an error boundary (componentDidCatch / Next's error.tsx): a `render <componentName>`
 * span with ERROR status, `e2e.error.category=render_failure` and the exception. Never throws;
 * rethrowing or showing a fallback stays the app's decision.
 */
export function reportRenderFailure(error: unknown, componentName: string): void {
  try {
    const span = getTracer().startSpan(`render ${componentName}`, { attributes: { [ATTR_RENDER_COMPONENT]: componentName } });
    markFailed(span, "render_failure", error);
    span.end();
  } catch {
    // Reporting a failure must not cause another.
  }
}
