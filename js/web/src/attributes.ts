/**
 * Attribute names, baggage keys and headers shared with the Python side
 * (docs/attributes.md). Changing one is a breaking change.
 */
export const ATTR_LAYER = "e2e.layer";
export const ATTR_WORKFLOW_TYPE = "e2e.workflow.type";
export const ATTR_WORKFLOW_ID = "e2e.workflow.id";
export const ATTR_ERROR_CATEGORY = "e2e.error.category";
export const ATTR_RENDER_SLOW = "e2e.render.slow";
export const ATTR_RENDER_COMPONENT = "e2e.render.component";

export const LAYER_FRONTEND = "frontend";

/** Baggage keys: the same names as the span attributes, read by the Django integration. */
export const BAGGAGE_WORKFLOW_TYPE = ATTR_WORKFLOW_TYPE;
export const BAGGAGE_WORKFLOW_ID = ATTR_WORKFLOW_ID;

export const HEADER_CORRELATION_ID = "x-correlation-id";
export const HEADER_WORKFLOW_TYPE = "x-workflow-type";

export const ATTR_WEB_VITAL_NAME = "browser.web_vital.name";
export const ATTR_WEB_VITAL_VALUE = "browser.web_vital.value";
export const ATTR_WEB_VITAL_RATING = "browser.web_vital.rating";
export const ATTR_WEB_VITAL_NAVIGATION_TYPE = "browser.web_vital.navigation_type";
export const ATTR_WEB_VITAL_ID = "browser.web_vital.id";
export const ATTR_WEB_VITAL_DELTA = "browser.web_vital.delta";

export const ATTR_NAVIGATION_TYPE = "e2e.navigation.type";
export const ATTR_NAVIGATION_FROM = "e2e.navigation.from";
export const ATTR_NAVIGATION_TO = "e2e.navigation.to";
export const ATTR_NAVIGATION_OUTCOME = "e2e.navigation.outcome";
export const ATTR_URL_PATH = "url.path";

/** The error taxonomy of docs/attributes.md, the part the browser can produce. */
export type ErrorCategory =
  | "network_timeout"
  | "auth_token_expired"
  | "authentication"
  | "permission"
  | "validation"
  | "not_found"
  | "throttled"
  | "server_error"
  | "render_failure"
  | "response_parse"
  | "unknown";
