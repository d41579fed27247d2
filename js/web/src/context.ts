import { context, propagation, type Context } from "@opentelemetry/api";
import { BAGGAGE_WORKFLOW_ID, BAGGAGE_WORKFLOW_TYPE } from "./attributes.js";

// The same shapes the Django integration accepts (e2e_otel/config_types.py).
const WORKFLOW_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
const CORRELATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A UUID4. crypto.randomUUID exists only in secure contexts (https, localhost). */
export function newCorrelationId(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  if (typeof c?.getRandomValues === "function") c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A name Django will accept: lower case, `[a-z0-9_.-]`, 64 characters. Bad names are
 * repaired rather than refused: instrumentation must not throw into the app.
 */
export function workflowName(type: string): string {
  if (WORKFLOW_NAME.test(type)) return type;
  const repaired = String(type)
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "_")
    .replace(/^[^a-z]+/, "")
    .slice(0, 64);
  return repaired || "unnamed";
}

/** Whether Django accepts `candidate` as a correlation id as it is. */
export function isCorrelationId(candidate: string | undefined): candidate is string {
  return !!candidate && CORRELATION_ID.test(candidate);
}

/** The given id when Django would accept it, else a new UUID4 (as Django would do). */
export function correlationId(candidate: string | undefined): string {
  return isCorrelationId(candidate) ? candidate : newCorrelationId();
}

/** `base` with the workflow baggage set; entries not given keep the base's values. */
export function workflowContext(base: Context, type: string | undefined, id: string | undefined): Context {
  let baggage = propagation.getBaggage(base) ?? propagation.createBaggage();
  if (type) baggage = baggage.setEntry(BAGGAGE_WORKFLOW_TYPE, { value: type });
  if (id) baggage = baggage.setEntry(BAGGAGE_WORKFLOW_ID, { value: id });
  return propagation.setBaggage(base, baggage);
}

/** The workflow type and id in a context's baggage. */
export function workflowIn(ctx: Context = context.active()): { type?: string; id?: string } {
  const baggage = propagation.getBaggage(ctx);
  return {
    type: baggage?.getEntry(BAGGAGE_WORKFLOW_TYPE)?.value,
    id: baggage?.getEntry(BAGGAGE_WORKFLOW_ID)?.value,
  };
}
