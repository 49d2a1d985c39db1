/** The clients' reader of the server's messages: JSON with a known `type`, the rest trusted (the server is the validating side). */

/** Parses `text` as a message whose `type` is one of `types`; throws `not a <what>: <text>` otherwise. Checks only the discriminant. */
export function parseByType<M>(text: string, types: readonly string[], what: string): M {
  const raw = JSON.parse(text) as { type?: unknown };
  if (!raw || typeof raw !== 'object' || !types.includes(raw.type as string)) {
    throw new Error(`not a ${what}: ${text.slice(0, 80)}`);
  }
  return raw as M;
}
