"use client";
import { withWorkflow } from "@e2e-otel/web";
import Link from "next/link";
import { useEffect, useState } from "react";
import { Status } from "@/components/Status";
import { call, describe } from "@/lib/api";
import type { Cart, CartItem } from "@/lib/types";

export default function CartPage() {
  const [cart, setCart] = useState<Cart | null>(null);
  const [status, setStatus] = useState("loading cart");
  const [correlationId, setCorrelationId] = useState<string | null>(null);

  useEffect(() => {
    withWorkflow("cart_update", (wf) => call<Cart>(wf, "cart/", { auth: true })).then(
      ({ data, correlationId }) => {
        setCart(data);
        setCorrelationId(correlationId);
        setStatus(`${data.items.length} items`);
      },
      (error: unknown) => setStatus(`cart ${describe(error)}`),
    );
  }, []);

  async function increment(item: CartItem) {
    setStatus("updating cart");
    try {
      const { correlationId } = await withWorkflow("cart_update", async (wf) => {
        await call<CartItem>(wf, `cart/items/${item.id}/`, { method: "PATCH", body: { quantity: item.quantity + 1 }, auth: true });
        const fresh = await call<Cart>(wf, "cart/", { auth: true });
        setCart(fresh.data);
        return fresh;
      });
      setCorrelationId(correlationId);
      setStatus("cart updated");
    } catch (error) {
      setStatus(`cart update ${describe(error)}`);
    }
  }

  return (
    <>
      <h1>Cart</h1>
      <ul>
        {cart?.items.map((item) => (
          <li key={item.id}>
            {item.product.name} x <span data-testid="quantity">{item.quantity}</span> = {item.line_total}{" "}
            <button type="button" onClick={() => increment(item)}>
              +1
            </button>
          </li>
        ))}
      </ul>
      <p>Total: {cart?.total ?? "-"}</p>
      <Link href="/checkout">Checkout</Link>
      <Status text={status} correlationId={correlationId} />
    </>
  );
}
