import { context, trace, type Context, type Span } from "@opentelemetry/api";
import { categoryFromError } from "./categories.js";
import { correlationId, workflowContext, workflowName } from "./context.js";
import { e2eFetch, markFailed, type FetchOptions } from "./fetch.js";
import { getTracer } from "./runtime.js";

export interface WorkflowOptions {
  /** Reuse a correlation id (e.g. one the server rendered); else a new UUID4. */
  correlationId?: string;
}

/**
 * A running workflow. Its `context` is the only carrier of the workflow across `await`:
 * the browser has no async context propagation without Zone.js, so code after an `await`
 * joins the workflow only through `wf.fetch`, `wf.run` or `{ parent: wf }`.
 */
export interface Workflow {
  readonly type: string;
  readonly id: string;
  readonly context: Context;
  readonly span: Span;
  /** e2eFetch with this workflow as parent. */
  fetch(input: RequestInfo | URL, init?: RequestInit, options?: Omit<FetchOptions, "parent">): Promise<Response>;
  /** Run `fn` with this workflow active (synchronous part only), e.g. for a library's plain fetch(). */
  run<T>(fn: () => T): T;
}

/**
 * Start a `workflow <type>` span with a new correlation id and call `fn(wf)` with it active.
 * Returns what `fn` returns; the span ends when `fn` returns or its promise settles. An error
 * thrown or rejected by `fn` marks the span ERROR and propagates unchanged.
 */
export function withWorkflow<T>(type: string, fn: (wf: Workflow) => T, options: WorkflowOptions = {}): T {
  const name = workflowName(type);
  const id = correlationId(options.correlationId);
  const withBaggage = workflowContext(context.active(), name, id);
  const span = getTracer().startSpan(`workflow ${name}`, {}, withBaggage);
  const ctx = trace.setSpan(withBaggage, span);
  const wf: Workflow = {
    type: name,
    id,
    context: ctx,
    span,
    fetch: (input, init, fetchOptions) => e2eFetch(input, init, { ...fetchOptions, parent: ctx }),
    run: (inner) => context.with(ctx, inner),
  };
  let result: T;
  try {
    result = context.with(ctx, fn, undefined, wf);
  } catch (error) {
    fail(span, error);
    span.end();
    throw error;
  }
  if (isThenable(result)) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

function fail(span: Span, error: unknown): void {
  try {
    markFailed(span, categoryFromError(error), error);
  } catch {
    // Recording must not replace the app's error with ours.
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return !!value && (typeof value === "object" || typeof value === "function") && typeof (value as PromiseLike<unknown>).then === "function";
}
