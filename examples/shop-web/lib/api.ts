import { e2eJson, type Workflow } from "@e2e-otel/web";
import { shopConfig } from "./config";

/** The shop's JWT pair, kept in localStorage so a reload stays logged in. */
const ACCESS = "shop.access";
const REFRESH = "shop.refresh";

export const session = {
  access: (): string | null => localStorage.getItem(ACCESS),
  save(access: string, refresh?: string): void {
    localStorage.setItem(ACCESS, access);
    if (refresh) localStorage.setItem(REFRESH, refresh);
  },
  clear(): void {
    localStorage.removeItem(ACCESS);
    localStorage.removeItem(REFRESH);
  },
};

export function apiUrl(path: string): string {
  return `${shopConfig().apiUrl}/api/${path}`;
}

/** An API failure with its status and the correlation id the API answered. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly correlationId: string | null,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
    this.name = "ApiError";
  }
}

export interface ApiResult<T> {
  data: T;
  correlationId: string | null;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  /** Send the stored access token (or this one). */
  auth?: boolean | string;
  timeoutMs?: number;
}

/**
 * One API call inside a workflow: `wf.fetch` (so it joins the workflow's trace even after an
 * `await`), JSON in and out, the answered X-Correlation-ID returned for display.
 */
export async function call<T>(wf: Workflow, path: string, options: CallOptions = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const token = typeof options.auth === "string" ? options.auth : options.auth ? session.access() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await wf.fetch(
    apiUrl(path),
    {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    },
    { parse: "json", timeoutMs: options.timeoutMs },
  );
  const correlationId = response.headers.get("x-correlation-id");
  const data = await e2eJson<T>(response, { parent: wf });
  if (!response.ok) throw new ApiError(response.status, correlationId, data);
  return { data, correlationId };
}

/** A short, human description of a failure for the page's status line. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) return `failed: HTTP ${error.status} ${JSON.stringify(error.body)}`;
  if (error instanceof Error) return `failed: ${error.name}: ${error.message}`;
  return `failed: ${String(error)}`;
}
