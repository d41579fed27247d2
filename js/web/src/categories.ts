import type { ErrorCategory } from "./attributes.js";

const CATEGORIES: ReadonlySet<string> = new Set<ErrorCategory>([
  "network_timeout",
  "auth_token_expired",
  "authentication",
  "permission",
  "validation",
  "not_found",
  "throttled",
  "server_error",
  "render_failure",
  "response_parse",
  "unknown",
]);

/** The HTTP part of the taxonomy, as the Python side maps statuses; undefined below 400. */
export function categoryForStatus(status: number): ErrorCategory | undefined {
  if (status < 400) return undefined;
  switch (status) {
    case 400:
    case 422:
      return "validation";
    case 401:
      return "authentication";
    case 403:
      return "permission";
    case 404:
      return "not_found";
    case 408:
      return "network_timeout";
    case 429:
      return "throttled";
  }
  return status >= 500 ? "server_error" : "unknown";
}

/**
 * An expired access token, as DRF simplejwt says it (`{"code": "token_not_valid", ...
 * "Token is expired"}`) or as RFC 6750 does (`WWW-Authenticate: Bearer error="invalid_token",
 * error_description="... expired"`). A cross-origin `WWW-Authenticate` is readable only when
 * the API lists it in Access-Control-Expose-Headers; the body always is.
 */
export function saysTokenExpired(body: string | null, wwwAuthenticate: string | null): boolean {
  if (wwwAuthenticate && /error="?invalid_token/i.test(wwwAuthenticate) && /expired/i.test(wwwAuthenticate)) {
    return true;
  }
  if (!body) return false;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object" && (parsed as { code?: unknown }).code === "token_not_valid") {
      return /expired/i.test(body);
    }
  } catch {
    // Not JSON: fall through to the plain-text check.
  }
  return /token[^"]{0,40}expired|expired[^"]{0,20}token/i.test(body);
}

/**
 * The category an error object carries: an explicit `e2eErrorCategory`/`category` from the
 * taxonomy, a timeout or abort, a JSON syntax error, an HTTP status on the error or its
 * `response` (axios, ky, ...), then one level of `cause`; else `unknown`.
 */
export function categoryFromError(error: unknown, depth = 0): ErrorCategory {
  if (!error || typeof error !== "object") return "unknown";
  const e = error as Record<string, unknown>;
  for (const key of ["e2eErrorCategory", "category"]) {
    const value = e[key];
    if (typeof value === "string" && CATEGORIES.has(value)) return value as ErrorCategory;
  }
  const name = typeof e.name === "string" ? e.name : "";
  const message = typeof e.message === "string" ? e.message : "";
  if (name === "TimeoutError" || name === "AbortError" || /timed? ?out/i.test(name)) return "network_timeout";
  if (name === "SyntaxError" && /JSON/i.test(message)) return "response_parse";
  if (/TokenExpired|ExpiredSignature/i.test(name)) return "auth_token_expired";
  const response = e.response as Record<string, unknown> | undefined;
  const status = typeof e.status === "number" ? e.status : typeof response?.status === "number" ? response.status : undefined;
  const byStatus = status === undefined ? undefined : categoryForStatus(status);
  if (byStatus) return byStatus;
  if (depth === 0 && e.cause !== undefined) return categoryFromError(e.cause, 1);
  return "unknown";
}
