import { useEffect, useLayoutEffect } from "react";
import { markNavigationCommitted } from "./navigation.js";
import { startRenderTiming } from "./render.js";

// useLayoutEffect runs after React wrote the DOM, before paint; on the server neither runs.
const useCommitEffect = typeof window === "undefined" ? useEffect : useLayoutEffect;

/**
 * Time this component's render, its children included, until React commits it: a
 * `render <name>` span per commit, `e2e.render.slow=true` over renderThresholdMs. Works in
 * production builds, unlike <Profiler>, whose onRender is compiled out there.
 */
export function useRenderTiming(name: string): void {
  const timing = startRenderTiming(name);
  useCommitEffect(() => {
    timing.end();
  });
}

/**
 * End the pending `navigation` span when the App Router commits a pathname:
 * `useNavigationCommitted(usePathname())` in the root layout's client component.
 */
export function useNavigationCommitted(pathname: string): void {
  useEffect(() => {
    markNavigationCommitted(pathname);
  }, [pathname]);
}
