// @e2e-otel/web/server in plain Node (no DOM): the span processor tags spans from the incoming
// baggage, and the entry point loads nothing of the browser SDK.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ROOT_CONTEXT, propagation, trace, defaultTextMapGetter } from "@opentelemetry/api";
import { W3CBaggagePropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { E2EServerSpanProcessor, WorkflowHeadersPropagator, ATTR_LAYER } from "../dist/server.js";

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new E2EServerSpanProcessor(), new SimpleSpanProcessor(exporter)],
  });
  return { exporter, tracer: provider.getTracer("test") };
}

const baggageProp = new W3CBaggagePropagator();
const incoming = (value) => baggageProp.extract(ROOT_CONTEXT, { baggage: value }, defaultTextMapGetter);

test("runs without a DOM", () => {
  assert.equal(typeof globalThis.document, "undefined");
  assert.equal(typeof globalThis.window, "undefined");
  const source = readFileSync(new URL("../dist/server.js", import.meta.url), "utf8");
  const imports = [...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1]).sort();
  assert.deepEqual(imports, ["./attributes.js", "./attributes.js", "./context.js", "./propagator.js", "@opentelemetry/api"]);
});

test("every span gets e2e.layer=frontend and the workflow from the baggage, children too", () => {
  const { exporter, tracer } = setup();
  const ctx = incoming("e2e.workflow.type=stock_check,e2e.workflow.id=0b7c0d4e-1f2a-4b3c-8d4e-5f6a7b8c9d0e");
  const root = tracer.startSpan("GET /api/stock/[id]", {}, ctx);
  const child = tracer.startSpan("fetch GET", {}, trace.setSpan(ctx, root));
  child.end();
  root.end();
  for (const span of exporter.getFinishedSpans()) {
    assert.equal(span.attributes[ATTR_LAYER], "frontend");
    assert.equal(span.attributes["e2e.workflow.type"], "stock_check");
    assert.equal(span.attributes["e2e.workflow.id"], "0b7c0d4e-1f2a-4b3c-8d4e-5f6a7b8c9d0e");
  }
  assert.equal(exporter.getFinishedSpans().length, 2);
});

test("without baggage, a child inherits from its parent span; nothing else is invented", () => {
  const { exporter, tracer } = setup();
  const root = tracer.startSpan("page", {}, ROOT_CONTEXT);
  root.setAttribute("e2e.workflow.type", "checkout");
  root.setAttribute("e2e.workflow.id", "abc-1");
  tracer.startSpan("child", {}, trace.setSpan(ROOT_CONTEXT, root)).end();
  root.end();
  const [child, parent] = exporter.getFinishedSpans();
  assert.equal(child.attributes["e2e.workflow.id"], "abc-1");
  assert.equal(child.attributes["e2e.layer"], "frontend");
  const lone = tracer.startSpan("lone", {}, ROOT_CONTEXT);
  lone.end();
  assert.equal(lone.attributes["e2e.workflow.id"], undefined);
  assert.equal(parent.attributes["e2e.layer"], "frontend");
});

test("values Django would refuse are repaired (type) or dropped (id)", () => {
  const { tracer } = setup();
  const span = tracer.startSpan("x", {}, incoming("e2e.workflow.type=Check%20Out,e2e.workflow.id=%20bad%20id"));
  span.end();
  assert.equal(span.attributes["e2e.workflow.type"], "check_out");
  assert.equal(span.attributes["e2e.workflow.id"], undefined);
});

test("the workflow headers propagator writes X-Workflow-Type / X-Correlation-ID", () => {
  const carrier = {};
  const ctx = incoming("e2e.workflow.type=checkout,e2e.workflow.id=abc-1");
  new WorkflowHeadersPropagator().inject(ctx, carrier, { set: (c, k, v) => (c[k] = v) });
  assert.deepEqual(carrier, { "x-workflow-type": "checkout", "x-correlation-id": "abc-1" });
  assert.ok(propagation);
});

// Found with @vercel/otel 2.1.3 on Next.js 16: the incoming baggage is anyone's input. A value
// Node refuses in a header (a newline, "✓") made axios' server-side request to Django throw
// ("Invalid character in header content"), so the route answered 500. On the server, the headers
// carry what the span processor tags: the type repaired, an id Django would refuse left out.
test("server: workflow headers from a hostile baggage never throw and match the span tags", async () => {
  const { validateHeaderValue } = await import("node:http");
  const nodeSetter = { set: (c, k, v) => { validateHeaderValue(k, v); c[k] = v; } };
  const { tracer } = setup();
  for (const [value, expected] of [
    ["e2e.workflow.type=%E2%9C%93,e2e.workflow.id=abc-1", { "x-workflow-type": "unnamed", "x-correlation-id": "abc-1" }],
    ["e2e.workflow.type=a%0Ab,e2e.workflow.id=x%0Ay", { "x-workflow-type": "a_b" }],
    ["e2e.workflow.type=Check%20Out,e2e.workflow.id=%C3%A9t%C3%A9", { "x-workflow-type": "check_out" }],
  ]) {
    const ctx = incoming(value);
    const carrier = {};
    assert.doesNotThrow(() => new WorkflowHeadersPropagator().inject(ctx, carrier, nodeSetter), value);
    assert.deepEqual(carrier, expected, value);
    const span = tracer.startSpan("x", {}, ctx);
    span.end();
    assert.equal(span.attributes["e2e.workflow.type"], expected["x-workflow-type"], value);
    assert.equal(span.attributes["e2e.workflow.id"], expected["x-correlation-id"], value);
  }
});

test("server: a setter that throws is not raised into the request", () => {
  const ctx = incoming("e2e.workflow.type=checkout,e2e.workflow.id=abc-1");
  const throwing = { set: () => { throw new TypeError("read-only headers"); } };
  assert.doesNotThrow(() => new WorkflowHeadersPropagator().inject(ctx, {}, throwing));
});
