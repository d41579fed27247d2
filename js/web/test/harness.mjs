// The test world: the test page's server, an OTLP/HTTP JSON receiver and a fake API, each on
// its own 127.0.0.1 port (three origins, so CORS is real), and Debian's Chromium.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.E2E_CHROMIUM ?? "/usr/bin/chromium";
const PAGE_DIR = new URL("./page/", import.meta.url).pathname;

const API_ALLOW_HEADERS = "traceparent, tracestate, baggage, x-correlation-id, x-workflow-type, content-type, authorization";
const API_EXPOSE_HEADERS = "x-correlation-id, traceresponse";
// DRF simplejwt's answer to an expired access token.
const EXPIRED_BODY = JSON.stringify({
  detail: "Given token not valid for any token type",
  code: "token_not_valid",
  messages: [{ token_class: "AccessToken", token_type: "access", message: "Token is expired" }],
});

function listen(handler) {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const origin = (server) => `http://127.0.0.1:${server.address().port}`;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** OTLP JSON AnyValue -> JS value. */
function anyValue(v) {
  if (!v) return undefined;
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return v.doubleValue;
  if ("arrayValue" in v) return (v.arrayValue.values ?? []).map(anyValue);
  return undefined;
}
const attrs = (list) => Object.fromEntries((list ?? []).map((a) => [a.key, anyValue(a.value)]));

/** Flat spans from one OTLP/HTTP JSON ExportTraceServiceRequest. */
export function flattenOtlp(body) {
  const out = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          service: resource["service.name"],
          scope: ss.scope?.name,
          name: s.name,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          attributes: attrs(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
          status: { code: s.status?.code ?? 0, message: s.status?.message },
        });
      }
    }
  }
  return out;
}

export async function bundlePage() {
  const result = await esbuild.build({
    entryPoints: [join(PAGE_DIR, "main.jsx")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  return result.outputFiles[0].text;
}

export async function startWorld() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium (or set E2E_CHROMIUM)`);
  }
  const bundle = await bundlePage();
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>e2e-otel test shop</title></head>
<body><h1>e2e-otel test shop</h1><p id="lede">A page with enough text to paint: products, cart, checkout.</p>
<button id="buy">Buy</button><div id="status">loading</div><div id="root"></div>
<script type="module" src="/bundle.js"></script></body></html>`;

  const received = []; // spans
  const exportRequests = []; // { origin, contentType }
  const apiRequests = []; // { method, path, headers }

  const app = await listen((req, res) => {
    const path = req.url.split("?")[0];
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    } else if (path === "/bundle.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    } else {
      res.writeHead(404).end();
    }
  });

  const collector = await listen(async (req, res) => {
    const cors = {
      "access-control-allow-origin": req.headers.origin ?? "*",
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": "content-type",
      vary: "origin",
    };
    if (req.method === "OPTIONS") return res.writeHead(204, cors).end();
    if (req.method !== "POST" || !req.url.startsWith("/v1/traces")) return res.writeHead(404, cors).end();
    const text = await readBody(req);
    exportRequests.push({ origin: req.headers.origin, contentType: req.headers["content-type"] });
    try {
      received.push(...flattenOtlp(JSON.parse(text)));
    } catch {
      return res.writeHead(400, cors).end();
    }
    res.writeHead(200, { ...cors, "content-type": "application/json" }).end("{}");
  });

  const api = await listen(async (req, res) => {
    const url = new URL(req.url, "http://api");
    apiRequests.push({ method: req.method, path: url.pathname, headers: { ...req.headers } });
    const cors = {
      "access-control-allow-origin": req.headers.origin ?? "*",
      "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
      "access-control-allow-headers": API_ALLOW_HEADERS,
      "access-control-expose-headers": API_EXPOSE_HEADERS,
      vary: "origin",
    };
    if (req.method === "OPTIONS") return res.writeHead(204, { ...cors, "access-control-max-age": "600" }).end();
    await readBody(req);
    const json = { ...cors, "content-type": "application/json" };
    if (req.headers["x-correlation-id"]) json["x-correlation-id"] = req.headers["x-correlation-id"];
    const delay = Number(url.searchParams.get("delay") ?? 0);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const status = url.pathname.match(/^\/status\/(\d{3})$/);
    if (url.pathname === "/expired") return res.writeHead(401, json).end(EXPIRED_BODY);
    if (url.pathname === "/garbage") return res.writeHead(200, json).end("<html>this is not JSON</html>");
    if (status) return res.writeHead(Number(status[1]), json).end(JSON.stringify({ detail: `status ${status[1]}` }));
    res.writeHead(200, json).end(JSON.stringify({ ok: true, path: url.pathname }));
  });

  // A port nothing listens on: the dead collector.
  const probe = await listen(() => undefined);
  const deadPort = probe.address().port;
  await new Promise((r) => probe.close(r));

  const userDataDir = mkdtempSync(join(tmpdir(), "e2e-web-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

  return {
    appOrigin: origin(app),
    collectorOrigin: origin(collector),
    apiOrigin: origin(api),
    deadCollector: `http://127.0.0.1:${deadPort}`,
    received,
    exportRequests,
    apiRequests,
    context,
    async close() {
      await context.close().catch(() => undefined);
      for (const s of [app, collector, api]) {
        s.closeAllConnections?.();
        await new Promise((r) => s.close(r));
      }
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Spans of one service, polled until `predicate(spans)` holds or `timeoutMs` passes. */
export async function waitForSpans(world, service, predicate, { page, timeoutMs = 10_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Fetch spans end 300 ms after their response (resource timing), so flush while polling.
    if (page && !page.isClosed()) await page.evaluate(() => window.e2eTest?.flush()).catch(() => undefined);
    const spans = world.received.filter((s) => s.service === service);
    if (predicate(spans)) return spans;
    if (Date.now() > deadline) {
      const names = spans.map((s) => s.name).join(", ");
      throw new Error(`spans of ${service} never matched; got: [${names}]`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}
