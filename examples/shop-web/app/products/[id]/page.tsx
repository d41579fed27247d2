"use client";
import { e2eJson, withWorkflow } from "@e2e-otel/web";
import { useParams } from "next/navigation";
import { useEffect, useState } from "react";
import { Status } from "@/components/Status";
import { ApiError, call, describe } from "@/lib/api";
import type { CartItem, Page, Product, ProductWithReviews } from "@/lib/types";

interface Details {
  product: Product;
  reviews: number;
  related: Product[];
}

export default function ProductDetailPage() {
  const { id } = useParams<{ id: string }>();
  const [details, setDetails] = useState<Details | null>(null);
  const [status, setStatus] = useState("loading product");
  const [correlationId, setCorrelationId] = useState<string | null>(null);

  useEffect(() => {
    // PLANTED PROBLEM (request waterfall): three independent requests, awaited one after the
    // other. Promise.all would take as long as the slowest one instead of the sum of all three.
    withWorkflow("product_fetch", async (wf) => {
      const detail = await call<Product>(wf, `products/${id}/`);
      const reviews = await call<ProductWithReviews[]>(wf, "products/with-reviews/");
      const related = await call<Page<Product>>(wf, "products/?page=2");
      const mine = reviews.data.find((p) => p.id === detail.data.id)?.reviews.length ?? 0;
      return { details: { product: detail.data, reviews: mine, related: related.data.results.slice(0, 5) }, correlationId: detail.correlationId };
    }).then(
      (result) => {
        setDetails(result.details);
        setCorrelationId(result.correlationId);
        setStatus("product loaded");
      },
      (error: unknown) => setStatus(`product ${describe(error)}`),
    );
  }, [id]);

  // Server side: the storefront's own route handler (app/api/stock/[id]) asks Django, so the
  // trace goes browser -> Next.js server -> Django -> SQL.
  async function checkStock() {
    setStatus("checking stock");
    try {
      const result = await withWorkflow("stock_check", async (wf) => {
        const response = await wf.fetch(`/api/stock/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } }, { parse: "json" });
        const correlationId = response.headers.get("x-correlation-id");
        const data = await e2eJson<{ name: string; stock: number }>(response, { parent: wf });
        if (!response.ok) throw new ApiError(response.status, correlationId, data);
        return { data, correlationId };
      });
      setCorrelationId(result.correlationId);
      setStatus(`stock checked on the server: ${result.data.stock} x ${result.data.name}`);
    } catch (error) {
      setStatus(`stock check ${describe(error)}`);
    }
  }

  async function addToCart() {
    if (!details) return;
    setStatus("adding to cart");
    try {
      const { data, correlationId } = await withWorkflow("cart_update", (wf) =>
        call<CartItem>(wf, "cart/items/", { method: "POST", body: { product_id: details.product.id, quantity: 1 }, auth: true }),
      );
      setCorrelationId(correlationId);
      setStatus(`added to cart: ${data.product.name} x ${data.quantity}`);
    } catch (error) {
      setStatus(`add to cart ${describe(error)}`);
    }
  }

  return (
    <>
      <h1>{details ? details.product.name : `Product ${id}`}</h1>
      {details ? (
        <>
          <p>
            {details.product.price} — {details.product.stock} in stock — {details.reviews} reviews —{" "}
            {details.product.category?.name}
          </p>
          <button type="button" onClick={addToCart}>
            Add to cart
          </button>{" "}
          <button type="button" onClick={checkStock}>
            Check stock
          </button>
          <h2>More products</h2>
          <ul>
            {details.related.map((p) => (
              <li key={p.id}>{p.name}</li>
            ))}
          </ul>
        </>
      ) : null}
      <Status text={status} correlationId={correlationId} />
    </>
  );
}
