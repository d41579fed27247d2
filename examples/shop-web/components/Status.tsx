/** The page's status line: tests and people read the outcome of the last action here. */
export function Status({ text, correlationId }: { text: string; correlationId?: string | null }) {
  return (
    <p role="status" data-testid="status">
      {text}
      {correlationId ? (
        <>
          {" "}
          (correlation id <code data-testid="correlation-id">{correlationId}</code>)
        </>
      ) : null}
    </p>
  );
}
