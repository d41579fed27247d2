import { ROOT_CONTEXT, type Span } from "@opentelemetry/api";
import { ATTR_NAVIGATION_FROM, ATTR_NAVIGATION_OUTCOME, ATTR_NAVIGATION_TO, ATTR_NAVIGATION_TYPE, ATTR_URL_PATH } from "./attributes.js";
import { getTracer } from "./runtime.js";

/** A navigation not committed within this time is ended as `abandoned`. */
const NAVIGATION_LIMIT_MS = 30_000;

let pending: { span: Span; timer: ReturnType<typeof setTimeout> } | undefined;

/**
 * Next.js App Router hook: export it from `instrumentation-client.ts`
 * (`export { onRouterTransitionStart } from "@e2e-otel/web"`). Starts a `navigation` span
 * that markNavigationCommitted ends; a newer navigation ends the older one as `superseded`.
 */
export function onRouterTransitionStart(url: string, navigationType: string): void {
  try {
    finish("superseded");
    const span = getTracer().startSpan(
      "navigation",
      {
        attributes: {
          [ATTR_NAVIGATION_TYPE]: navigationType,
          [ATTR_NAVIGATION_FROM]: location.pathname,
          [ATTR_NAVIGATION_TO]: new URL(url, location.href).pathname,
        },
      },
      ROOT_CONTEXT,
    );
    pending = { span, timer: setTimeout(() => finish("abandoned"), NAVIGATION_LIMIT_MS) };
  } catch {
    // Navigation must go on whatever happens here.
  }
}

/**
 * The router committed `pathname` (call it from an effect on `usePathname()`, or use
 * `useNavigationCommitted` from `@e2e-otel/web/react`). Ends the pending navigation span;
 * does nothing when none is pending (the first render).
 */
export function markNavigationCommitted(pathname: string): void {
  if (!pending) return;
  pending.span.setAttribute(ATTR_URL_PATH, pathname);
  finish("committed");
}

function finish(outcome: "committed" | "superseded" | "abandoned"): void {
  if (!pending) return;
  const { span, timer } = pending;
  pending = undefined;
  clearTimeout(timer);
  span.setAttribute(ATTR_NAVIGATION_OUTCOME, outcome);
  span.end();
}
