/**
 * Where the shop API and the collector are. The root layout reads them from the server's
 * environment at request time (SHOP_API_URL, OTEL_COLLECTOR_URL) and writes them into the page
 * as JSON, so one build runs against any ports: NEXT_PUBLIC_* variables would be frozen into
 * the bundle by `next build`.
 */
export interface ShopConfig {
  apiUrl: string;
  collectorUrl: string;
}

export const CONFIG_ELEMENT_ID = "e2e-shop-config";

export const DEFAULT_CONFIG: ShopConfig = {
  apiUrl: "http://127.0.0.1:8765",
  collectorUrl: "http://127.0.0.1:4318",
};

/** Server side: the configuration from the environment (trailing slashes removed). */
export function configFromEnv(env: Record<string, string | undefined>): ShopConfig {
  const trim = (value: string) => value.replace(/\/+$/, "");
  return {
    apiUrl: trim(env.SHOP_API_URL || DEFAULT_CONFIG.apiUrl),
    collectorUrl: trim(env.OTEL_COLLECTOR_URL || DEFAULT_CONFIG.collectorUrl),
  };
}

let cached: ShopConfig | undefined;

/** Browser side: the configuration the layout wrote into the page (defaults if absent). */
export function shopConfig(): ShopConfig {
  if (cached) return cached;
  const element = typeof document === "undefined" ? null : document.getElementById(CONFIG_ELEMENT_ID);
  if (!element?.textContent) return DEFAULT_CONFIG;
  cached = { ...DEFAULT_CONFIG, ...(JSON.parse(element.textContent) as Partial<ShopConfig>) };
  return cached;
}
