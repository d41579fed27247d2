"use client";
import { withWorkflow } from "@e2e-otel/web";
import Link from "next/link";
import { useEffect, useState } from "react";
import { Status } from "@/components/Status";
import { call, describe } from "@/lib/api";
import type { Page, Product } from "@/lib/types";

export default function ProductListPage() {
  const [products, setProducts] = useState<Product[]>([]);
  const [status, setStatus] = useState("loading products");
  const [correlationId, setCorrelationId] = useState<string | null>(null);

  useEffect(() => {
    withWorkflow("product_fetch", (wf) => call<Page<Product>>(wf, "products/?page=1")).then(
      ({ data, correlationId }) => {
        setProducts(data.results);
        setCorrelationId(correlationId);
        setStatus(`${data.count} products`);
      },
      (error: unknown) => setStatus(`product list ${describe(error)}`),
    );
  }, []);

  return (
    <>
      <h1>Products</h1>
      <ul>
        {products.map((product) => (
          <li key={product.id}>
            <Link href={`/products/${product.id}`} data-testid="product-link">
              {product.name}
            </Link>{" "}
            — {product.price} ({product.stock} in stock)
          </li>
        ))}
      </ul>
      <Status text={status} correlationId={correlationId} />
    </>
  );
}
