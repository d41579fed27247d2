// The product page's "Check stock": the browser calls this route handler (same origin), which
// asks Django on the server. One trace: the click, the browser's fetch, Next's server spans,
// @vercel/otel's fetch span, Django's server span and its SQL.
import { configFromEnv } from "@/lib/config";
import type { Product } from "@/lib/types";

export const dynamic = "force-dynamic";

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  const { apiUrl } = configFromEnv(process.env);
  const response = await fetch(`${apiUrl}/api/products/${encodeURIComponent(id)}/`, {
    headers: { Accept: "application/json" },
    cache: "no-store",
  });
  const correlationId = response.headers.get("x-correlation-id");
  const headers: Record<string, string> = correlationId ? { "x-correlation-id": correlationId } : {};
  const body = (await response.json().catch(() => null)) as Product | null;
  if (!response.ok || !body) {
    return Response.json({ error: `shop API answered HTTP ${response.status}` }, { status: response.ok ? 502 : response.status, headers });
  }
  return Response.json({ id: body.id, name: body.name, stock: body.stock }, { headers });
}
