"use client";
import { withWorkflow } from "@e2e-otel/web";
import { useState } from "react";
import { Status } from "@/components/Status";
import { call, describe } from "@/lib/api";
import type { Order } from "@/lib/types";

export default function CheckoutPage() {
  const [status, setStatus] = useState("ready to place the order");
  const [correlationId, setCorrelationId] = useState<string | null>(null);

  async function placeOrder() {
    setStatus("placing order");
    try {
      const { data, correlationId } = await withWorkflow("checkout", (wf) =>
        call<Order>(wf, "checkout/", { method: "POST", body: {}, auth: true }),
      );
      setCorrelationId(correlationId);
      setStatus(`order ${data.id} placed`);
    } catch (error) {
      setStatus(`checkout ${describe(error)}`);
    }
  }

  return (
    <>
      <h1>Checkout</h1>
      <button type="button" onClick={placeOrder}>
        Place order
      </button>
      <Status text={status} correlationId={correlationId} />
    </>
  );
}
