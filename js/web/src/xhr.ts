import { SpanStatusCode, type Span } from "@opentelemetry/api";
import { ATTR_ERROR_CATEGORY } from "./attributes.js";
import { tagStatus } from "./fetch.js";

/**
 * The XMLHttpRequest instrumentation's applyCustomAttributesOnSpan (axios and other XHR
 * clients): the same categories as fetch. The body of a 401 is already there (no hold needed).
 * Status 0 means no response: `unknown` here; the span processor turns the instrumentation's
 * `timeout`/`abort` event into `network_timeout` once the span has ended.
 */
export function categorizeXhrSpan(span: Span, xhr: XMLHttpRequest): void {
  const status = xhr.status;
  if (!status) {
    span.setAttribute(ATTR_ERROR_CATEGORY, "unknown");
    span.setStatus({ code: SpanStatusCode.ERROR, message: "no response (network error, CORS, timeout or abort)" });
    return;
  }
  tagStatus(span, status, () => bodyText(xhr), () => header(xhr, "www-authenticate"));
}

function bodyText(xhr: XMLHttpRequest): string | null {
  try {
    if (xhr.responseType === "" || xhr.responseType === "text") return xhr.responseText;
    if (xhr.responseType === "json") return xhr.response == null ? null : JSON.stringify(xhr.response);
  } catch {
    // A body we may not read: the header check alone decides.
  }
  return null;
}

function header(xhr: XMLHttpRequest, name: string): string | null {
  try {
    return xhr.getResponseHeader(name);
  } catch {
    return null;
  }
}
