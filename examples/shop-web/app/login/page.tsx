"use client";
import { withWorkflow } from "@e2e-otel/web";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Status } from "@/components/Status";
import { call, describe, session } from "@/lib/api";

interface Tokens {
  access: string;
  refresh: string;
}

export default function LoginPage() {
  const router = useRouter();
  const [status, setStatus] = useState("not logged in");
  const [correlationId, setCorrelationId] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const { data, correlationId } = await withWorkflow("login", (wf) =>
        call<Tokens>(wf, "auth/token/", {
          method: "POST",
          body: { username: form.get("username"), password: form.get("password") },
        }),
      );
      session.save(data.access, data.refresh);
      setCorrelationId(correlationId);
      setStatus("logged in");
      router.push("/");
    } catch (error) {
      setStatus(`login ${describe(error)}`);
    }
  }

  return (
    <>
      <h1>Login</h1>
      <form onSubmit={submit}>
        <label>
          Username <input name="username" defaultValue="alice" />
        </label>{" "}
        <label>
          Password <input name="password" type="password" defaultValue="alice-password" />
        </label>{" "}
        <button type="submit">Log in</button>
      </form>
      <Status text={status} correlationId={correlationId} />
    </>
  );
}
