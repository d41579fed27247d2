import { ROOT_CONTEXT } from "@opentelemetry/api";
import { categoryFromError } from "./categories.js";
import { markFailed } from "./fetch.js";
import { getTracer } from "./runtime.js";

/**
 * A span for every uncaught error and unhandled rejection, categorized from the error itself
 * (else `unknown`). The listeners only observe: they never call preventDefault, so the
 * browser still reports the error as it would without us. Returns the remover.
 */
export function watchGlobalErrors(): () => void {
  const onError = (event: ErrorEvent): void => {
    record("uncaught error", event.error ?? event.message, { "code.filepath": event.filename, "code.lineno": event.lineno });
  };
  const onRejection = (event: PromiseRejectionEvent): void => {
    record("unhandled rejection", event.reason, {});
  };
  addEventListener("error", onError);
  addEventListener("unhandledrejection", onRejection);
  return () => {
    removeEventListener("error", onError);
    removeEventListener("unhandledrejection", onRejection);
  };
}

function record(name: string, error: unknown, attributes: Record<string, string | number | undefined>): void {
  try {
    const clean = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined && v !== "")) as Record<string, string | number>;
    const span = getTracer().startSpan(name, { attributes: clean }, ROOT_CONTEXT);
    markFailed(span, categoryFromError(error), error);
    span.end();
  } catch {
    // Observing an error must not add one.
  }
}
