"use client";
import { withWorkflow } from "@e2e-otel/web";
import { useState } from "react";
import { Status } from "@/components/Status";
import { call, describe, session } from "@/lib/api";
import type { Order, Page } from "@/lib/types";

/** The shop's slow debug endpoint sleeps this long; the storefront gives up much earlier. */
const SLOW_SECONDS = 3;
const TIMEOUT_MS = 500;

/**
 * Planted frontend problems, one button each (the heavy grid and the product page's request
 * waterfall have their own routes).
 */
export default function ProblemsPage() {
  const [status, setStatus] = useState("pick a problem");
  const [correlationId, setCorrelationId] = useState<string | null>(null);

  function run(label: string, action: () => Promise<string>) {
    return async () => {
      setStatus(`${label}: running`);
      setCorrelationId(null);
      try {
        setStatus(`${label}: ${await action()}`);
      } catch (error) {
        setStatus(`${label} ${describe(error)}`);
      }
    };
  }

  // response_parse: the CSV export answered text/csv, parsed as JSON.
  const exportCsv = run("export", () =>
    withWorkflow("reporting", async (wf) => {
      const rows = await call<unknown>(wf, "reports/pageviews/?referrer=https%3A%2F%2Fsearch.example%2F&export=csv");
      return `parsed ${JSON.stringify(rows.data).length} bytes`;
    }),
  );

  // network_timeout: a request that takes SLOW_SECONDS, abandoned after TIMEOUT_MS.
  const slowReport = run("slow report", () =>
    withWorkflow("debug", async (wf) => {
      await call<unknown>(wf, `debug/boom/?delay=${SLOW_SECONDS}`, { timeoutMs: TIMEOUT_MS });
      return "answered in time";
    }),
  );

  // Step 1 of the expired-token flow: the shop's debug view signs an already expired access
  // token for the logged-in user, which replaces the stored one (as if it had aged).
  const expireSession = run("expire session", () =>
    withWorkflow("debug", async (wf) => {
      const { data } = await call<{ access: string }>(wf, "debug/boom/?expired_token=1", { auth: true });
      session.save(data.access);
      return "the stored access token is now expired";
    }),
  );

  // auth_token_expired: simplejwt answers 401 {"code": "token_not_valid", ... "Token is expired"}.
  const orders = run("orders", () =>
    withWorkflow("order_history", async (wf) => {
      const { data, correlationId } = await call<Page<Order>>(wf, "orders/", { auth: true });
      setCorrelationId(correlationId);
      return `${data.count} orders`;
    }),
  );

  return (
    <>
      <h1>Planted problems</h1>
      <p>
        <button type="button" onClick={exportCsv}>
          Export page views (CSV parsed as JSON)
        </button>{" "}
        <button type="button" onClick={slowReport}>
          Slow report (times out after {TIMEOUT_MS} ms)
        </button>{" "}
        <button type="button" onClick={expireSession}>
          Expire my session
        </button>{" "}
        <button type="button" onClick={orders}>
          My orders
        </button>
      </p>
      <Status text={status} correlationId={correlationId} />
    </>
  );
}
