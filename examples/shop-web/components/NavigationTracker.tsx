"use client";
import { useNavigationCommitted } from "@e2e-otel/web/react";
import { usePathname } from "next/navigation";

/** Ends the `navigation` span of each App Router soft navigation. */
export function NavigationTracker() {
  useNavigationCommitted(usePathname());
  return null;
}
