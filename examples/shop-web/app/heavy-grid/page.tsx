"use client";
import { withWorkflow } from "@e2e-otel/web";
import { useRenderTiming } from "@e2e-otel/web/react";
import { useEffect, useState } from "react";
import { Status } from "@/components/Status";
import { call, describe } from "@/lib/api";
import type { Page, Product } from "@/lib/types";

/** How long the grid blocks the main thread per render: over the 100 ms render threshold. */
const HEAVY_MS = 150;
const COPIES = 50;

/** A price "sparkline" computed synchronously in render, on purpose. */
function expensiveScore(product: Product, budgetEnd: number): number {
  let score = 0;
  // Busy work until this render's budget is spent: stands in for an unmemoized computation.
  while (performance.now() < budgetEnd) score = (score + Number(product.price) * 31) % 9973;
  return score;
}

/** PLANTED PROBLEM (slow render): COPIES x every product, each cell recomputed on each render. */
function ProductGrid({ products }: { products: Product[] }) {
  useRenderTiming("ProductGrid");
  const budgetEnd = performance.now() + (products.length ? HEAVY_MS : 0);
  const cells = Array.from({ length: COPIES }, (_, copy) => products.map((product) => ({ copy, product })));
  return (
    <div className="grid" data-testid="heavy-grid">
      {cells.flat().map(({ copy, product }) => (
        <div key={`${copy}-${product.id}`}>
          {product.name} · {product.price} · {expensiveScore(product, budgetEnd)}
        </div>
      ))}
    </div>
  );
}

export default function HeavyGridPage() {
  const [products, setProducts] = useState<Product[]>([]);
  const [status, setStatus] = useState("loading products");

  useEffect(() => {
    withWorkflow("product_fetch", (wf) => call<Page<Product>>(wf, "products/?page=1")).then(
      ({ data }) => {
        setProducts(data.results);
        setStatus(`${data.results.length * COPIES} cells rendered`);
      },
      (error: unknown) => setStatus(`heavy grid ${describe(error)}`),
    );
  }, []);

  return (
    <>
      <h1>Heavy grid</h1>
      <Status text={status} />
      <ProductGrid products={products} />
    </>
  );
}
