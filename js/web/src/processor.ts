import { createContextKey, SpanStatusCode, trace, type Attributes, type Context, type SpanStatus } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor, TimedEvent } from "@opentelemetry/sdk-trace-web";
import { ATTR_ERROR_CATEGORY, ATTR_LAYER, ATTR_WORKFLOW_ID, ATTR_WORKFLOW_TYPE, LAYER_FRONTEND } from "./attributes.js";
import { workflowIn } from "./context.js";

/** What a fetch learns after the instrumentation has ended its span (body-based categories). */
export interface LateFindings {
  attributes?: Attributes;
  status?: SpanStatus;
  events?: TimedEvent[];
}

/** e2eFetch puts one of these in the context; onStart hands it the fetch span. */
export interface FetchSlot {
  span?: Span;
}
export const FETCH_SLOT = createContextKey("@e2e-otel/web fetch slot");
const FETCH_SCOPE = "@opentelemetry/instrumentation-fetch";
const XHR_SCOPE = "@opentelemetry/instrumentation-xml-http-request";
/** A hold never delays a span longer than this (a body that never ends, a bug of ours). */
const HOLD_LIMIT_MS = 5000;

export interface QueueAccounting {
  /** spans handed on and not yet reported exported or failed */
  inFlight(): number;
  drop(count: number): void;
}

/**
 * Start stage: `e2e.layer=frontend` and the workflow from the context's baggage (or the live
 * parent's attributes) on every span. End stage: spans whose fetch is still being classified
 * (body of a 401, `parse: "json"`) are held until e2eFetch knows, then handed on with the
 * findings; everything else is handed on at once.
 */
export class FrontendSpanProcessor implements SpanProcessor {
  private readonly holds = new WeakMap<object, Promise<LateFindings | undefined>>();
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly next: SpanProcessor,
    private readonly queue: QueueAccounting,
    private readonly maxQueueSize: number,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    try {
      span.setAttribute(ATTR_LAYER, LAYER_FRONTEND);
      const [type, id] = workflowOf(parentContext);
      if (type) span.setAttribute(ATTR_WORKFLOW_TYPE, type);
      if (id) span.setAttribute(ATTR_WORKFLOW_ID, id);
      const slot = parentContext.getValue(FETCH_SLOT) as FetchSlot | undefined;
      if (slot && !slot.span && span.instrumentationScope.name === FETCH_SCOPE) slot.span = span;
    } catch {
      // Never raise into the app from a span start.
    }
    this.next.onStart(span, parentContext);
  }

  /** Keep `span` from export until `findings` settles (at most HOLD_LIMIT_MS). */
  hold(span: object, findings: Promise<LateFindings | undefined>): void {
    this.holds.set(span, findings);
  }

  onEnd(span: ReadableSpan): void {
    const held = this.holds.get(span);
    if (!held) {
      this.forward(xhrStopped(span) ?? span);
      return;
    }
    this.holds.delete(span);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, HOLD_LIMIT_MS, undefined);
    });
    const done = Promise.race([held.catch(() => undefined), limit]).then((found) => {
      clearTimeout(timer);
      this.pending.delete(done);
      this.forward(found ? amended(span, found) : span);
    });
    this.pending.add(done);
  }

  private forward(span: ReadableSpan): void {
    if (this.closed || this.queue.inFlight() >= this.maxQueueSize) {
      this.queue.drop(1);
      return;
    }
    this.next.onEnd(span);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.next.forceFlush();
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.pending]);
    this.closed = true;
    await this.next.shutdown();
  }
}

function workflowOf(ctx: Context): [string | undefined, string | undefined] {
  const { type, id } = workflowIn(ctx);
  if (type || id) return [type, id];
  // Spans started outside our helpers (a CORS preflight child) inherit from the live parent.
  const parent = trace.getSpan(ctx) as Partial<ReadableSpan> | undefined;
  const attrs = parent?.attributes;
  if (!attrs) return [undefined, undefined];
  const t = attrs[ATTR_WORKFLOW_TYPE];
  const i = attrs[ATTR_WORKFLOW_ID];
  return [typeof t === "string" ? t : undefined, typeof i === "string" ? i : undefined];
}

/**
 * An XMLHttpRequest that timed out (`xhr.timeout`, axios' `timeout`) or was aborted (axios'
 * `signal`/cancel) ends with a `timeout`/`abort` event, added after applyCustomAttributesOnSpan
 * ran: `network_timeout`, as a fetch timeout or abort is.
 */
function xhrStopped(span: ReadableSpan): ReadableSpan | undefined {
  if (span.instrumentationScope.name !== XHR_SCOPE) return undefined;
  const stop = span.events.find((e) => e.name === "timeout" || e.name === "abort");
  if (!stop) return undefined;
  return amended(span, {
    attributes: { [ATTR_ERROR_CATEGORY]: "network_timeout" },
    status: { code: SpanStatusCode.ERROR, message: stop.name },
  });
}

/** A read-only copy of an ended span with late findings merged in (ended spans are immutable). */
function amended(span: ReadableSpan, found: LateFindings): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: found.status ?? span.status,
    attributes: found.attributes ? { ...span.attributes, ...found.attributes } : span.attributes,
    links: span.links,
    events: found.events ? [...span.events, ...found.events] : span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
