import Link from "next/link";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { NavigationTracker } from "@/components/NavigationTracker";
import { CONFIG_ELEMENT_ID, configFromEnv } from "@/lib/config";
import "./globals.css";

export const metadata = { title: "e2e-otel demo shop" };

export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection(); // render per request: the configuration is read at run time, not build time
  const config = JSON.stringify(configFromEnv(process.env)).replace(/</g, "\\u003c");
  return (
    <html lang="en">
      <head>
        <script id={CONFIG_ELEMENT_ID} type="application/json" dangerouslySetInnerHTML={{ __html: config }} />
      </head>
      <body>
        <NavigationTracker />
        <nav>
          <Link href="/">Products</Link> <Link href="/cart">Cart</Link> <Link href="/checkout">Checkout</Link>{" "}
          <Link href="/heavy-grid">Heavy grid</Link> <Link href="/problems">Problems</Link>{" "}
          <Link href="/login">Login</Link>
        </nav>
        <main>{children}</main>
      </body>
    </html>
  );
}
