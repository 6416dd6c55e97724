// The text of a caught value, for logs and for messages that name a cause: `catch` and
// `.catch()` hand over `unknown`, and a thrown non-Error must not turn into "undefined".

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
