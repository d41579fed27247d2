import { propagation, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from "@opentelemetry/api";
import { BAGGAGE_WORKFLOW_ID, BAGGAGE_WORKFLOW_TYPE, HEADER_CORRELATION_ID, HEADER_WORKFLOW_TYPE } from "./attributes.js";
import { isCorrelationId, workflowName } from "./context.js";

/**
 * Writes the workflow from the baggage as `X-Workflow-Type` / `X-Correlation-ID`, the headers
 * the Django integration reads first. Being a propagator, it goes exactly where `traceparent`
 * goes: same-origin requests and the configured apiUrls (on the Next.js server, @vercel/otel's
 * `propagateContextUrls`), never to third parties.
 *
 * The headers carry what the span processors tag: the type repaired, an id Django would refuse
 * left out. On the server the baggage is whatever the client sent, and raw, a newline or a
 * non-Latin-1 character made Node's `http` (axios) throw into the app's request. Never throws.
 */
export class WorkflowHeadersPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    try {
      const baggage = propagation.getBaggage(context);
      const type = baggage?.getEntry(BAGGAGE_WORKFLOW_TYPE)?.value;
      const id = baggage?.getEntry(BAGGAGE_WORKFLOW_ID)?.value;
      if (type) setter.set(carrier, HEADER_WORKFLOW_TYPE, workflowName(type));
      if (isCorrelationId(id)) setter.set(carrier, HEADER_CORRELATION_ID, id);
    } catch {
      // Never raise into a request from a propagator.
    }
  }

  extract(context: Context, _carrier: unknown, _getter: TextMapGetter): Context {
    return context;
  }

  fields(): string[] {
    return [HEADER_WORKFLOW_TYPE, HEADER_CORRELATION_ID];
  }
}
