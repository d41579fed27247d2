import { propagation, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from "@opentelemetry/api";
import { BAGGAGE_WORKFLOW_ID, BAGGAGE_WORKFLOW_TYPE, HEADER_CORRELATION_ID, HEADER_WORKFLOW_TYPE } from "./attributes.js";

/**
 * Writes the workflow from the baggage as `X-Workflow-Type` / `X-Correlation-ID`, the headers
 * the Django integration reads first. Being a propagator, it goes exactly where `traceparent`
 * goes: same-origin requests and the configured apiUrls, never to third parties.
 */
export class WorkflowHeadersPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context);
    const type = baggage?.getEntry(BAGGAGE_WORKFLOW_TYPE)?.value;
    const id = baggage?.getEntry(BAGGAGE_WORKFLOW_ID)?.value;
    if (type) setter.set(carrier, HEADER_WORKFLOW_TYPE, type);
    if (id) setter.set(carrier, HEADER_CORRELATION_ID, id);
  }

  extract(context: Context, _carrier: unknown, _getter: TextMapGetter): Context {
    return context;
  }

  fields(): string[] {
    return [HEADER_WORKFLOW_TYPE, HEADER_CORRELATION_ID];
  }
}
