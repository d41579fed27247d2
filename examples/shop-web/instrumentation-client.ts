// Runs in the browser before the app hydrates (Next.js >= 15.3).
import { initE2EWeb, type E2EWebHandle } from "@e2e-otel/web";
import { CONFIG_ELEMENT_ID, shopConfig } from "./lib/config";

declare global {
  interface Window {
    /** The tracing handle, for tests and the console: `await __e2eWeb.forceFlush()`. */
    __e2eWeb?: E2EWebHandle;
  }
}

function start(): void {
  const { apiUrl, collectorUrl } = shopConfig();
  window.__e2eWeb = initE2EWeb({ serviceName: "shop-web", collectorUrl, apiUrls: [apiUrl] });
}

// The configuration is a <script> in <head>; if the document is still being parsed and has not
// reached it yet, wait for it rather than start with the defaults.
if (document.getElementById(CONFIG_ELEMENT_ID)) start();
else document.addEventListener("DOMContentLoaded", start, { once: true });

export { onRouterTransitionStart } from "@e2e-otel/web";
