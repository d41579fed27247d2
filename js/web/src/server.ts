/**
 * `@e2e-otel/web/server`: the Node.js side of a Next.js app (instrumentation.ts). No DOM, no
 * browser SDK: only `@opentelemetry/api` at run time, so it fits any 2.x Node SDK, including
 * `@vercel/otel`'s `registerOTel({ spanProcessors: ["auto", new E2EServerSpanProcessor()] })`.
 */
import { propagation, trace, type Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import {
  ATTR_LAYER,
  ATTR_WORKFLOW_ID,
  ATTR_WORKFLOW_TYPE,
  BAGGAGE_WORKFLOW_ID,
  BAGGAGE_WORKFLOW_TYPE,
  LAYER_FRONTEND,
} from "./attributes.js";
import { isCorrelationId, workflowName } from "./context.js";

export * from "./attributes.js";
export { WorkflowHeadersPropagator } from "./propagator.js";

/**
 * Tags every span of the Next.js server like the browser's: `e2e.layer=frontend`, and
 * `e2e.workflow.type`/`e2e.workflow.id` from the incoming request's baggage (the browser sends
 * `baggage: e2e.workflow.type=…,e2e.workflow.id=…`), or from the live parent span. The baggage
 * propagator must be registered (`@vercel/otel`'s default "auto" propagators include it).
 * Values Django would refuse are not copied: a type is repaired as the browser does, an id that
 * is not a valid correlation id is dropped.
 */
export class E2EServerSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    try {
      span.setAttribute(ATTR_LAYER, LAYER_FRONTEND);
      const { type, id } = serverWorkflowOf(parentContext);
      if (type) span.setAttribute(ATTR_WORKFLOW_TYPE, type);
      if (id) span.setAttribute(ATTR_WORKFLOW_ID, id);
    } catch {
      // Never raise into a request from a span start.
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The workflow of a server-side context: its baggage first, else the parent span's attributes. */
export function serverWorkflowOf(ctx: Context): { type?: string; id?: string } {
  const baggage = propagation.getBaggage(ctx);
  let type = baggage?.getEntry(BAGGAGE_WORKFLOW_TYPE)?.value;
  let id = baggage?.getEntry(BAGGAGE_WORKFLOW_ID)?.value;
  if (!type && !id) {
    const attrs = (trace.getSpan(ctx) as Partial<ReadableSpan> | undefined)?.attributes;
    const t = attrs?.[ATTR_WORKFLOW_TYPE];
    const i = attrs?.[ATTR_WORKFLOW_ID];
    type = typeof t === "string" ? t : undefined;
    id = typeof i === "string" ? i : undefined;
  }
  return { type: type ? workflowName(type) : undefined, id: isCorrelationId(id) ? id : undefined };
}
