// @e2e-otel/web in a real headless Chromium: the page exports OTLP/HTTP JSON to a receiver on
// another origin and calls a fake API on a third; nothing of the browser is mocked.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startWorld, waitForSpans } from "./harness.mjs";

let world;
let counter = 0;

before(async () => {
  world = await startWorld();
});

after(async () => {
  await world?.close();
});

/** A fresh page whose spans carry their own service.name; records page errors and warnings. */
async function openPage(query = {}) {
  const service = `web-test-${++counter}`;
  const params = new URLSearchParams({ svc: service, api: world.apiOrigin, collector: world.collectorOrigin, ...query });
  const page = await world.context.newPage();
  const pageErrors = [];
  const warnings = [];
  page.on("pageerror", (e) => pageErrors.push(e));
  page.on("console", (m) => {
    if (m.type() === "warning" && m.text().includes("[e2e-otel]")) warnings.push(m.text());
  });
  await page.goto(`${world.appOrigin}/?${params}`);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
  return { page, service, pageErrors, warnings };
}

const byName = (spans, name) => spans.filter((s) => s.name === name);
const one = (spans, predicate, what) => {
  const found = spans.filter(predicate);
  assert.equal(found.length, 1, `expected one ${what}, got ${found.length}: ${spans.map((s) => s.name).join(", ")}`);
  return found[0];
};
const fetchSpan = (spans, path) => one(spans, (s) => s.scope === "@opentelemetry/instrumentation-fetch" && String(s.attributes["url.full"]).includes(path), `fetch span for ${path}`);
const ERROR = 2;

test("a workflow's spans and its fetches, before and after an await, share its trace, type and id; the API gets the headers", async () => {
  const { page, service, pageErrors } = await openPage();
  const wf = await page.evaluate(() => window.e2eTest.checkout());
  assert.equal(wf.type, "checkout");
  assert.match(wf.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  await page.evaluate(() => window.e2eTest.flush());
  const spans = await waitForSpans(world, service, (s) => s.some((x) => x.name === "workflow checkout") && s.filter((x) => x.scope === "@opentelemetry/instrumentation-fetch").length >= 3, { page });

  const root = one(spans, (s) => s.name === "workflow checkout", "workflow span");
  assert.equal(root.traceId, wf.traceId);
  assert.equal(root.attributes["e2e.workflow.type"], "checkout");
  assert.equal(root.attributes["e2e.workflow.id"], wf.id);
  for (const path of ["/cart", "/orders"]) {
    const span = fetchSpan(spans, path);
    assert.equal(span.traceId, wf.traceId, `${path} joins the workflow trace`);
    assert.equal(span.parentSpanId, root.spanId, `${path} is a child of the workflow span`);
    assert.equal(span.attributes["e2e.workflow.type"], "checkout");
    assert.equal(span.attributes["e2e.workflow.id"], wf.id);
    assert.equal(span.attributes["e2e.layer"], "frontend");
  }
  // No Zone.js: an e2eFetch after an await without `parent` is on its own (documented).
  const orphan = fetchSpan(spans, "/orphan");
  assert.notEqual(orphan.traceId, wf.traceId);
  assert.equal(orphan.attributes["e2e.workflow.id"], undefined);

  for (const path of ["/cart", "/orders"]) {
    const req = world.apiRequests.find((r) => r.path === path && r.method !== "OPTIONS" && r.headers["x-correlation-id"] === wf.id);
    assert.ok(req, `the API saw ${path} with X-Correlation-ID`);
    const [, traceId, parentId, flags] = req.headers.traceparent.split("-");
    assert.equal(traceId, wf.traceId);
    assert.equal(parentId, fetchSpan(spans, path).spanId, "traceparent names the fetch span");
    assert.equal(flags, "01");
    assert.equal(req.headers["x-workflow-type"], "checkout");
    assert.equal(req.headers.baggage, `e2e.workflow.type=checkout,e2e.workflow.id=${wf.id}`);
  }
  const orphanReq = world.apiRequests.find((r) => r.path === "/orphan" && r.method === "GET");
  assert.ok(orphanReq.headers.traceparent, "API calls outside a workflow still carry traceparent");
  assert.equal(orphanReq.headers["x-correlation-id"], undefined);
  assert.ok(world.apiRequests.some((r) => r.path === "/orders" && r.method === "OPTIONS"), "the POST was preflighted");
  assert.ok(spans.every((s) => s.attributes["e2e.layer"] === "frontend"), "every span has e2e.layer=frontend");
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("e2eFetch with workflowType tags one request; initE2EWeb is idempotent", async () => {
  const { page, service } = await openPage();
  assert.equal(await page.evaluate(() => window.e2eTest.sameHandle()), true);
  assert.equal(await page.evaluate(() => window.e2eTest.taggedFetch()), 200);
  await page.evaluate(() => window.e2eTest.flush());
  const spans = await waitForSpans(world, service, (s) => s.some((x) => String(x.attributes["url.full"]).includes("/products")), { page });
  const span = fetchSpan(spans, "/products");
  assert.equal(span.attributes["e2e.workflow.type"], "product_fetch");
  assert.equal(span.attributes["e2e.workflow.id"], "corr-123");
  const req = world.apiRequests.find((r) => r.path === "/products" && r.method === "GET");
  assert.equal(req.headers["x-correlation-id"], "corr-123");
  assert.equal(req.headers["x-workflow-type"], "product_fetch");
  await page.close();
});

test("error categories: timeout, expired token, unparseable JSON, HTTP statuses, render failure, unhandled rejection, uncaught error", async () => {
  const { page, service, pageErrors } = await openPage();
  const timeout = await page.evaluate(() => window.e2eTest.timeout());
  assert.deepEqual([timeout.ok, timeout.name], [false, "TimeoutError"], "the app sees the fetch's own TimeoutError");
  const expired = await page.evaluate(() => window.e2eTest.expired());
  assert.deepEqual(expired, { ok: true, value: 401 }, "a 401 resolves as fetch would");
  const garbage = await page.evaluate(() => window.e2eTest.garbage());
  assert.deepEqual([garbage.ok, garbage.name], [false, "SyntaxError"], "e2eJson rejects with JSON.parse's SyntaxError");
  const late = await page.evaluate(() => window.e2eTest.garbageLate());
  assert.deepEqual([late.ok, late.name], [false, "SyntaxError"]);
  assert.deepEqual(await page.evaluate(() => window.e2eTest.statuses()), [400, 403, 404, 422, 429, 500, 503]);
  assert.match(await page.evaluate(() => window.e2eTest.renderFailure()), /reading 'price'/);
  const wfError = await page.evaluate(() => window.e2eTest.workflowError());
  assert.deepEqual([wfError.ok, wfError.message], [false, "out of stock"], "the workflow's error propagates unchanged");
  await page.evaluate(() => window.e2eTest.unhandledRejection());
  await page.evaluate(() => window.e2eTest.uncaughtError());
  await page.waitForTimeout(100);
  await page.evaluate(() => window.e2eTest.flush());

  const spans = await waitForSpans(world, service, (s) => s.filter((x) => x.attributes["e2e.error.category"]).length >= 16, { page });
  const category = (s) => s.attributes["e2e.error.category"];
  const isError = (s) => s.status.code === ERROR;

  const slow = fetchSpan(spans, "/slow");
  assert.equal(category(slow), "network_timeout");
  assert.ok(isError(slow));
  assert.ok(slow.events.some((e) => e.name === "exception" && e.attributes["exception.type"] === "TimeoutError"));

  const exp = fetchSpan(spans, "/expired");
  assert.equal(category(exp), "auth_token_expired");
  assert.ok(isError(exp));
  assert.equal(exp.attributes["e2e.workflow.type"], "login");

  const parsed = fetchSpan(spans.filter((s) => !String(s.attributes["url.full"]).includes("late=1")), "/garbage");
  assert.equal(category(parsed), "response_parse");
  assert.ok(isError(parsed));
  assert.ok(parsed.events.some((e) => e.name === "exception" && e.attributes["exception.type"] === "SyntaxError"));
  const parseSpan = one(spans, (s) => s.name === "parse json", "parse json span");
  assert.equal(category(parseSpan), "response_parse");
  const lateFetch = fetchSpan(spans, "late=1");
  assert.equal(parseSpan.traceId, lateFetch.traceId, "the late parse failure joins its request's trace");
  assert.equal(parseSpan.parentSpanId, lateFetch.spanId);
  assert.equal(category(lateFetch), undefined, "without parse: \"json\" the request itself stays a success");

  const expected = { 400: "validation", 403: "permission", 404: "not_found", 422: "validation", 429: "throttled", 500: "server_error", 503: "server_error" };
  for (const [status, cat] of Object.entries(expected)) {
    const s = fetchSpan(spans, `/status/${status}`);
    assert.equal(category(s), cat, `HTTP ${status}`);
    assert.ok(isError(s));
  }

  const render = one(spans, (s) => s.name === "render ProductCard", "render failure span");
  assert.equal(category(render), "render_failure");
  assert.ok(isError(render));

  const wf = one(spans, (s) => s.name === "workflow cart_update", "failed workflow span");
  assert.ok(isError(wf));
  assert.equal(category(wf), "unknown");

  const rejections = byName(spans, "unhandled rejection");
  assert.deepEqual(rejections.map(category).sort(), ["network_timeout", "unknown"], "category from the error, else unknown");
  const uncaught = one(spans, (s) => s.name === "uncaught error", "uncaught error span");
  assert.equal(category(uncaught), "unknown");
  assert.ok(uncaught.events.some((e) => e.attributes["exception.type"] === "RangeError"));

  assert.ok(spans.every((s) => s.attributes["e2e.layer"] === "frontend"));
  // Our listeners observe: the browser still reports the app's own errors, and only those.
  assert.deepEqual(pageErrors.map((e) => e.message).sort(), ["checkout exploded", "page bug", "something else"]);
  await page.close();
});

test("XMLHttpRequest (axios' browser adapter): spans with the layer, categories and workflow; headers to the API", async () => {
  const { page, service, pageErrors } = await openPage({ dead: world.deadCollector });
  const wf = await page.evaluate(() => window.e2eTest.xhrWorkflow());
  assert.deepEqual([wf.kind, wf.status], ["load", 200]);
  const ended = await page.evaluate(() => window.e2eTest.xhrs());
  assert.deepEqual(
    ended.map((r) => `${r.kind} ${r.status}`),
    ["load 404", "load 503", "load 401", "load 401", "load 200", "timeout 0", "abort 0", "error 0"],
    "the requests end as they would without us",
  );
  const xhrSpans = (s) => s.filter((x) => x.scope === "@opentelemetry/instrumentation-xml-http-request");
  const spans = xhrSpans(await waitForSpans(world, service, (s) => xhrSpans(s).length >= 9, { page }));
  const span = (part) => one(spans, (s) => String(s.attributes["url.full"]).includes(part), `xhr span for ${part}`);
  const category = (s) => s.attributes["e2e.error.category"];

  const wfSpan = span("/orders?via=xhr");
  assert.equal(wfSpan.traceId, wf.traceId, "an XHR opened inside wf.run joins the workflow");
  assert.equal(wfSpan.attributes["e2e.workflow.type"], "order_history");
  assert.equal(wfSpan.attributes["e2e.workflow.id"], wf.id);
  assert.equal(category(wfSpan), undefined);
  const req = world.apiRequests.find((r) => r.method === "GET" && r.path === "/orders" && r.headers["x-correlation-id"] === wf.id);
  assert.ok(req, "the API got X-Correlation-ID on the XHR");
  assert.equal(req.headers["x-workflow-type"], "order_history");
  assert.equal(req.headers.traceparent.split("-")[1], wf.traceId);
  assert.match(req.headers.baggage, /e2e\.workflow\.id=/);

  const expected = {
    "/status/404?via=xhr": "not_found",
    "/status/503?via=xhr": "server_error",
    "/expired?via=xhr&rt=json": "auth_token_expired",
    "t=timeout": "network_timeout",
    "t=abort": "network_timeout",
    "/refused?via=xhr": "unknown",
  };
  for (const [part, cat] of Object.entries(expected)) {
    const s = span(part);
    assert.equal(category(s), cat, part);
    assert.equal(s.status.code, ERROR, `${part} is ERROR`);
  }
  const expiredText = one(spans, (s) => String(s.attributes["url.full"]).endsWith("/expired?via=xhr"), "xhr span for the text 401");
  assert.equal(category(expiredText), "auth_token_expired");
  assert.equal(category(span("/ok?via=xhr")), undefined);
  assert.equal(span("/ok?via=xhr").status.code, 0);
  assert.ok(spans.every((s) => s.attributes["e2e.layer"] === "frontend"));
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("render timings: a slow render is flagged, a fast one is not (hook and manual timer)", async () => {
  const { page, service } = await openPage();
  const manual = await page.evaluate(() => window.e2eTest.renders());
  assert.ok(manual >= 70);
  await page.evaluate(() => window.e2eTest.flush());
  const spans = await waitForSpans(world, service, (s) => ["render SlowList", "render FastList", "render ManualChart"].every((n) => s.some((x) => x.name === n)), { page });
  assert.equal(one(spans, (s) => s.name === "render SlowList", "SlowList").attributes["e2e.render.slow"], true);
  assert.equal(one(spans, (s) => s.name === "render FastList", "FastList").attributes["e2e.render.slow"], false);
  assert.equal(one(spans, (s) => s.name === "render ManualChart", "ManualChart").attributes["e2e.render.slow"], true);
  await page.close();
});

test("a soft navigation is one span from start to the committed pathname", async () => {
  const { page, service } = await openPage();
  await page.evaluate(() => window.e2eTest.navigate());
  await page.evaluate(() => window.e2eTest.flush());
  const spans = await waitForSpans(world, service, (s) => s.some((x) => x.name === "navigation"), { page });
  const nav = one(spans, (s) => s.name === "navigation", "navigation span");
  assert.deepEqual(
    [nav.attributes["e2e.navigation.type"], nav.attributes["e2e.navigation.from"], nav.attributes["e2e.navigation.to"], nav.attributes["url.path"], nav.attributes["e2e.navigation.outcome"]],
    ["push", "/", "/products", "/products", "committed"],
  );
  await page.close();
});

test("web vitals and document load arrive when the page is hidden (navigating away), no forceFlush", async () => {
  const { page, service } = await openPage();
  await page.click("#buy");
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "bought");
  await page.waitForTimeout(300);
  await page.goto("about:blank");
  const spans = await waitForSpans(world, service, (s) => ["FCP", "TTFB", "LCP"].every((n) => s.some((x) => x.name === `web-vital ${n}`)));
  for (const name of ["FCP", "TTFB", "LCP"]) {
    const v = one(spans, (s) => s.name === `web-vital ${name}`, name);
    assert.equal(v.attributes["browser.web_vital.name"], name);
    assert.equal(typeof v.attributes["browser.web_vital.value"], "number");
    assert.match(v.attributes["browser.web_vital.rating"], /^(good|needs-improvement|poor)$/);
    assert.equal(v.attributes["browser.web_vital.navigation_type"], "navigate");
    assert.match(v.attributes["browser.web_vital.id"], /^v\d-/);
    assert.equal(v.attributes["e2e.layer"], "frontend");
  }
  const extra = spans.filter((s) => ["web-vital INP", "web-vital CLS"].includes(s.name)).map((s) => s.name);
  console.log(`# interaction vitals received: ${extra.join(", ") || "none"}`);
  assert.ok(spans.some((s) => s.name === "documentLoad"), "document-load instrumentation");
  assert.ok(world.exportRequests.every((r) => r.contentType === "application/json" && r.origin === world.appOrigin));
});

test("a dead collector never breaks the page: failures counted, at most one warning, no page error", async () => {
  const { page, pageErrors, warnings } = await openPage({ collector: world.deadCollector, exportTimeout: "1500" });
  const wf = await page.evaluate(() => window.e2eTest.checkout());
  assert.equal(wf.type, "checkout");
  assert.equal(await page.textContent("#status"), "checked out");
  await page.evaluate(() => window.e2eTest.flush());
  await page.evaluate(() => window.e2eTest.checkout());
  await page.evaluate(() => window.e2eTest.flush());
  const stats = await page.evaluate(() => window.e2eTest.stats());
  assert.equal(stats.exported, 0);
  assert.ok(stats.failed >= 8, `failed spans counted: ${JSON.stringify(stats)}`);
  assert.ok(warnings.length <= 1, `one warning a minute at most: ${warnings.length}`);
  assert.deepEqual(pageErrors, []);
  const req = world.apiRequests.filter((r) => r.headers["x-correlation-id"] === wf.id && r.method !== "OPTIONS");
  assert.equal(req.length, 2, "the API calls went through");
  await page.close();
});

test("sampleRatio 0: nothing exported and the API is told -00 (unsampled), still with the workflow headers", async () => {
  const { page, service } = await openPage({ ratio: "0" });
  const wf = await page.evaluate(() => window.e2eTest.checkout());
  await page.evaluate(() => window.e2eTest.flush());
  const req = world.apiRequests.find((r) => r.headers["x-correlation-id"] === wf.id && r.path === "/cart" && r.method === "GET");
  assert.match(req.headers.traceparent, /-00$/);
  assert.equal(req.headers["x-workflow-type"], "checkout");
  await page.waitForTimeout(200);
  assert.equal(world.received.filter((s) => s.service === service).length, 0);
  await page.close();
});

test("bundle cost: a minimal initE2EWeb bundle adds at most 45 kB min+gzip (esbuild, production)", async () => {
  const { measure } = await import("./size.mjs");
  const { costGzip, costMin } = await measure();
  console.log(`# bundle cost: ${(costMin / 1024).toFixed(1)} kB min, ${(costGzip / 1024).toFixed(1)} kB min+gzip`);
  assert.ok(costGzip <= 45 * 1024, `${costGzip} B gzip`);
});
