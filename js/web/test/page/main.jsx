// The test page: the package as an app would use it, driven by browser.test.mjs through
// window.e2eTest. Configuration comes from the query string.
import { createRoot } from "react-dom/client";
import { flushSync } from "react-dom";
import {
  e2eFetch,
  e2eJson,
  initE2EWeb,
  markNavigationCommitted,
  onRouterTransitionStart,
  reportRenderFailure,
  startRenderTiming,
  withWorkflow,
} from "../../dist/index.js";
import { useRenderTiming } from "../../dist/react.js";

const params = new URLSearchParams(location.search);
const api = params.get("api");
const config = {
  serviceName: params.get("svc") ?? "e2e-web-test",
  collectorUrl: params.get("collector"),
  apiUrls: [api],
  renderThresholdMs: 50,
  sampleRatio: Number(params.get("ratio") ?? 1),
  exportTimeoutMs: Number(params.get("exportTimeout") ?? 10000),
};
const handle = initE2EWeb(config);

function busy(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a slow render
  }
}

function Product({ name, cost }) {
  useRenderTiming(name);
  busy(cost);
  return <li>{name}</li>;
}

const root = createRoot(document.getElementById("root"));
const status = document.getElementById("status");
status.textContent = "ready";
document.getElementById("buy").addEventListener("click", () => {
  busy(80); // an interaction slow enough (>= 40 ms) for INP to record it
  status.textContent = "bought";
});

const outcome = (p) =>
  p.then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, name: error?.name, message: String(error?.message ?? error) }),
  );

/** A bare XMLHttpRequest, as axios' browser adapter makes it; resolves with how it ended. */
function xhr(url, { timeout = 0, abortAfter = 0, responseType = "" } = {}) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("GET", url);
    request.timeout = timeout;
    request.responseType = responseType;
    for (const kind of ["load", "error", "timeout", "abort"]) {
      request.addEventListener(kind, () => resolve({ kind, status: request.status }));
    }
    request.send();
    if (abortAfter) setTimeout(() => request.abort(), abortAfter);
  });
}

window.e2eTest = {
  handle,
  config,
  sameHandle: () => initE2EWeb(config) === handle,
  flush: () => handle.forceFlush(),
  stats: () => handle.stats(),

  // A workflow with a fetch before and after an await, and a plain e2eFetch after an await
  // without parent (which, without Zone.js, is NOT in the workflow: documented behaviour).
  checkout: () =>
    withWorkflow("checkout", async (wf) => {
      const cart = await wf.fetch(`${api}/cart`);
      await cart.json();
      await new Promise((r) => setTimeout(r, 10));
      const order = await e2eFetch(`${api}/orders`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } }, { parent: wf });
      await order.json();
      const orphan = await e2eFetch(`${api}/orphan`);
      await orphan.text();
      status.textContent = "checked out";
      return { id: wf.id, type: wf.type, traceId: wf.span.spanContext().traceId };
    }),

  // A single request tagged with a workflow, no workflow span.
  taggedFetch: () => e2eFetch(`${api}/products`, undefined, { workflowType: "product_fetch", correlationId: "corr-123" }).then((r) => r.status),

  timeout: () => outcome(e2eFetch(`${api}/slow?delay=1500`, undefined, { timeoutMs: 200 })),
  expired: () => outcome(e2eFetch(`${api}/expired`, undefined, { workflowType: "login" }).then((r) => r.status)),
  garbage: () =>
    outcome(
      e2eFetch(`${api}/garbage`, undefined, { parse: "json" }).then((r) => e2eJson(r)),
    ),
  garbageLate: () => outcome(e2eFetch(`${api}/garbage?late=1`).then((r) => e2eJson(r))),
  statuses: () => Promise.all([400, 403, 404, 422, 429, 500, 503].map((s) => fetch(`${api}/status/${s}`).then((r) => r.status))),
  // axios-style XMLHttpRequests: a workflow's (opened inside wf.run), statuses, an expired
  // token (text and JSON responseType), a timeout, an abort and a refused connection.
  xhrWorkflow: () =>
    withWorkflow("order_history", (wf) => wf.run(() => xhr(`${api}/orders?via=xhr`)).then((r) => ({ ...r, id: wf.id, traceId: wf.span.spanContext().traceId }))),
  xhrs: () =>
    Promise.all([
      xhr(`${api}/status/404?via=xhr`),
      xhr(`${api}/status/503?via=xhr`),
      xhr(`${api}/expired?via=xhr`),
      xhr(`${api}/expired?via=xhr&rt=json`, { responseType: "json" }),
      xhr(`${api}/ok?via=xhr`),
      xhr(`${api}/slow?via=xhr&delay=1500&t=timeout`, { timeout: 200 }),
      xhr(`${api}/slow?via=xhr&delay=1500&t=abort`, { abortAfter: 150 }),
      xhr(`${params.get("dead")}/refused?via=xhr`),
    ]),
  renderFailure: () => {
    try {
      throw new TypeError("Cannot read properties of undefined (reading 'price')");
    } catch (error) {
      reportRenderFailure(error, "ProductCard");
      return String(error.message);
    }
  },
  unhandledRejection: () => {
    const error = new Error("checkout exploded");
    error.name = "TimeoutError";
    Promise.reject(error);
    Promise.reject(new Error("something else"));
  },
  uncaughtError: () => {
    setTimeout(() => {
      throw new RangeError("page bug");
    }, 0);
  },
  workflowError: () =>
    outcome(
      withWorkflow("cart_update", async (wf) => {
        await wf.fetch(`${api}/cart`);
        const err = new Error("out of stock");
        err.code = "STOCK";
        throw err;
      }),
    ),
  renders: () => {
    flushSync(() =>
      root.render(
        <ul>
          <Product name="FastList" cost={0} />
        </ul>,
      ),
    );
    flushSync(() => root.render(<ul><Product name="SlowList" cost={120} /></ul>));
    const t = startRenderTiming("ManualChart");
    busy(70);
    return t.end();
  },
  navigate: () => {
    onRouterTransitionStart("/products?page=2", "push");
    history.pushState({}, "", "/products?page=2" + location.search.replace("?", "&"));
    markNavigationCommitted("/products");
  },
};
