export { initE2EWeb, type E2EWebHandle, type E2EWebOptions } from "./init.js";
export type { ExportStats } from "./exporter.js";
export { withWorkflow, type Workflow, type WorkflowOptions } from "./workflow.js";
export { e2eFetch, e2eJson, type FetchOptions, type HasContext } from "./fetch.js";
export { startRenderTiming, reportRenderFailure, type RenderTiming } from "./render.js";
export { onRouterTransitionStart, markNavigationCommitted } from "./navigation.js";
export { categoryForStatus, categoryFromError } from "./categories.js";
export * from "./attributes.js";
