import { context, SpanStatusCode, trace, type Context, type Exception, type Span } from "@opentelemetry/api";
import { hrTime } from "@opentelemetry/core";
import type { TimedEvent } from "@opentelemetry/sdk-trace-web";
import { ATTR_ERROR_CATEGORY, type ErrorCategory } from "./attributes.js";
import { categoryForStatus, categoryFromError, saysTokenExpired } from "./categories.js";
import { correlationId, newCorrelationId, workflowContext, workflowIn, workflowName } from "./context.js";
import { FETCH_SLOT, type FetchSlot, type LateFindings } from "./processor.js";
import { getTracer, holdSpan } from "./runtime.js";

/** Anything that carries an OpenTelemetry context: a Workflow from withWorkflow. */
export interface HasContext {
  readonly context: Context;
}

export interface FetchOptions {
  /** Tag this request (and the API's spans) with a workflow; a new id unless one is active. */
  workflowType?: string;
  /** The correlation id to send; must look like `[A-Za-z0-9][A-Za-z0-9._:-]{0,127}`. */
  correlationId?: string;
  /** Abort after this many milliseconds (the fetch rejects with a TimeoutError). */
  timeoutMs?: number;
  /** The workflow (or context) this request belongs to: required after an `await`. */
  parent?: HasContext | Context;
  /**
   * `"json"`: read and parse the body before the request's span is exported, so a body that
   * does not parse is recorded on it (`response_parse`). Get the value with `e2eJson(response)`.
   */
  parse?: "json";
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: unknown };
const parsedBodies = new WeakMap<Response, Parsed>();
const responseContexts = new WeakMap<Response, Context>();

export function contextOf(parent: HasContext | Context | undefined): Context {
  if (!parent) return context.active();
  return "context" in parent && typeof (parent as HasContext).context === "object" ? (parent as HasContext).context : (parent as Context);
}

/**
 * fetch() joined to a workflow. Without Zone.js the active context does not survive an
 * `await`, so pass `parent` (or call `wf.fetch`) for requests made after one. Requests to the
 * configured apiUrls carry traceparent, baggage, X-Workflow-Type and X-Correlation-ID. The
 * promise settles exactly as fetch() would: same response, same rejection.
 */
export function e2eFetch(input: RequestInfo | URL, init?: RequestInit, options: FetchOptions = {}): Promise<Response> {
  let ctx = contextOf(options.parent);
  if (options.workflowType || options.correlationId) {
    const current = workflowIn(ctx);
    const type = options.workflowType ? workflowName(options.workflowType) : current.type;
    const id = options.correlationId ? correlationId(options.correlationId) : (current.id ?? newCorrelationId());
    ctx = workflowContext(ctx, type, id);
  }
  const slot: FetchSlot = {};
  let pending: Promise<Response>;
  try {
    const finalInit = withTimeout(input, init, options.timeoutMs);
    pending = context.with(ctx.setValue(FETCH_SLOT, slot), () => fetch(input, finalInit));
  } catch (error) {
    return Promise.reject(error);
  }
  const span = slot.span;
  let settle: (found: LateFindings | undefined) => void = () => undefined;
  if (span) holdSpan(span, new Promise((resolve) => (settle = resolve)));
  return pending.then(
    async (response) => {
      responseContexts.set(response, span ? trace.setSpan(ctx, span) : ctx);
      try {
        settle(await inspect(response, options.parse));
      } catch {
        settle(undefined);
      }
      return response;
    },
    (error: unknown) => {
      settle(undefined);
      throw error;
    },
  );
}

/**
 * `response.json()` that records a body that does not parse: on the request's span when
 * e2eFetch was called with `parse: "json"`, else on a `parse json` span in the request's trace.
 * Rejects with the parser's own SyntaxError, unchanged.
 */
export async function e2eJson<T = unknown>(response: Response, options: { parent?: HasContext | Context } = {}): Promise<T> {
  const cached = parsedBodies.get(response);
  if (cached) {
    if (cached.ok) return cached.value as T;
    throw cached.error;
  }
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    const parent = responseContexts.get(response) ?? contextOf(options.parent);
    const span = getTracer().startSpan("parse json", { attributes: { "url.full": response.url, "http.response.status_code": response.status } }, parent);
    markFailed(span, "response_parse", error);
    span.end();
    throw error;
  }
}

/** The fetch instrumentation's applyCustomAttributesOnSpan: categories and ERROR status. */
export function categorizeFetchSpan(span: Span, _request: unknown, result: unknown): void {
  if (isResponse(result)) {
    tagStatus(span, result.status, () => null, () => result.headers.get("www-authenticate"));
    return;
  }
  markFailed(span, categoryFromError(result), result);
}

/**
 * The category of an answer's HTTP status on its span, with ERROR status, for fetch and
 * XMLHttpRequest alike: a 401 whose body or `WWW-Authenticate` says the token expired is
 * `auth_token_expired` (both read only for a 401).
 */
export function tagStatus(span: Span, status: number, body: () => string | null, authenticate: () => string | null): void {
  let category = categoryForStatus(status);
  if (status === 401 && saysTokenExpired(body(), authenticate())) category = "auth_token_expired";
  if (category) {
    span.setAttribute(ATTR_ERROR_CATEGORY, category);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
  }
}

/** ERROR status, the category and an exception event on a live span. */
export function markFailed(span: Span, category: ErrorCategory, error: unknown): void {
  span.setAttribute(ATTR_ERROR_CATEGORY, category);
  span.recordException(asException(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
}

async function inspect(response: Response, parse: "json" | undefined): Promise<LateFindings | undefined> {
  let found: LateFindings | undefined;
  if (response.status === 401) {
    const body = await response.clone().text();
    if (saysTokenExpired(body, response.headers.get("www-authenticate"))) {
      found = failure("auth_token_expired", "access token expired");
    }
  }
  if (parse === "json") {
    const text = await response.text();
    try {
      parsedBodies.set(response, { ok: true, value: JSON.parse(text) });
    } catch (error) {
      parsedBodies.set(response, { ok: false, error });
      if (response.status < 400) found = failure("response_parse", messageOf(error), error);
    }
  }
  return found;
}

function failure(category: ErrorCategory, message: string, error?: unknown): LateFindings {
  const found: LateFindings = {
    attributes: { [ATTR_ERROR_CATEGORY]: category },
    status: { code: SpanStatusCode.ERROR, message },
  };
  if (error !== undefined) found.events = [exceptionEvent(error)];
  return found;
}

function exceptionEvent(error: unknown): TimedEvent {
  const e = asException(error) as { name?: string; message?: string; stack?: string };
  const attributes: Record<string, string> = { "exception.type": e.name ?? "Error", "exception.message": e.message ?? "" };
  if (e.stack) attributes["exception.stacktrace"] = e.stack;
  return { name: "exception", time: hrTime(), attributes, droppedAttributesCount: 0 };
}

function withTimeout(input: RequestInfo | URL, init: RequestInit | undefined, timeoutMs: number | undefined): RequestInit | undefined {
  if (!timeoutMs || timeoutMs <= 0 || typeof AbortSignal === "undefined") return init;
  const timeout = AbortSignal.timeout(timeoutMs);
  const own = init?.signal ?? (typeof Request !== "undefined" && input instanceof Request ? input.signal : undefined);
  return { ...init, signal: own ? anySignal(own, timeout) : timeout };
}

function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === "function") return AbortSignal.any([a, b]);
  const controller = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) controller.abort(s.reason);
    else s.addEventListener("abort", () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

function isResponse(value: unknown): value is Response {
  return typeof Response !== "undefined" && value instanceof Response;
}

/**
 * The SDK names an exception by its `code` before its `name`; a DOMException's numeric legacy
 * code (23 for TimeoutError) says less than its name, so it is left out.
 */
function asException(error: unknown): Exception {
  if (error && typeof error === "object" && ("message" in error || "name" in error)) {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
    if (typeof e.code !== "number") return error as Exception;
    return { name: String(e.name), message: String(e.message ?? ""), stack: typeof e.stack === "string" ? e.stack : undefined };
  }
  return String(error);
}

function messageOf(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) return String((error as { message: unknown }).message);
  return String(error);
}
