import { ROOT_CONTEXT } from "@opentelemetry/api";
import { onCLS, onFCP, onINP, onLCP, onTTFB, type Metric } from "web-vitals";
import {
  ATTR_WEB_VITAL_DELTA,
  ATTR_WEB_VITAL_ID,
  ATTR_WEB_VITAL_NAME,
  ATTR_WEB_VITAL_NAVIGATION_TYPE,
  ATTR_WEB_VITAL_RATING,
  ATTR_WEB_VITAL_VALUE,
} from "./attributes.js";
import { getTracer } from "./runtime.js";

/**
 * One `web-vital <NAME>` span per report. LCP, CLS and INP are final only when the page is
 * hidden: web-vitals reports them from a capturing `visibilitychange` listener on window,
 * which runs before initE2EWeb's flush listener on document, so they leave in that flush.
 */
export function reportWebVitals(): void {
  const report = (metric: Metric): void => {
    try {
      const span = getTracer().startSpan(
        `web-vital ${metric.name}`,
        {
          attributes: {
            [ATTR_WEB_VITAL_NAME]: metric.name,
            [ATTR_WEB_VITAL_VALUE]: metric.value,
            [ATTR_WEB_VITAL_RATING]: metric.rating,
            [ATTR_WEB_VITAL_NAVIGATION_TYPE]: metric.navigationType,
            [ATTR_WEB_VITAL_ID]: metric.id,
            [ATTR_WEB_VITAL_DELTA]: metric.delta,
          },
        },
        ROOT_CONTEXT,
      );
      span.end();
    } catch {
      // A lost vital must not become a page error.
    }
  };
  onLCP(report);
  onINP(report);
  onCLS(report);
  onTTFB(report);
  onFCP(report);
}
