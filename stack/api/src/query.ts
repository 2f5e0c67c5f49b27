// Query parameter checks: a bad value is the client's mistake and gets a 400 that says which
// parameter and what is allowed, never a silently clamped answer.
export const LIMIT_DEFAULT = 20;
export const LIMIT_MAX = 100;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseLimit(params: URLSearchParams): Parsed<number> {
  const all = params.getAll('limit');
  if (all.length === 0) return { ok: true, value: LIMIT_DEFAULT };
  if (all.length > 1) return { ok: false, error: 'limit given more than once' };
  const raw = all[0];
  if (!/^[0-9]{1,6}$/.test(raw)) return { ok: false, error: `limit must be a whole number from 1 to ${LIMIT_MAX}, got "${raw.slice(0, 40)}"` };
  const n = Number(raw);
  if (n < 1 || n > LIMIT_MAX) return { ok: false, error: `limit must be a whole number from 1 to ${LIMIT_MAX}, got ${n}` };
  return { ok: true, value: n };
}

/** Only `limit` means anything to /api/coins; anything else is most likely a typo. */
export function unknownParams(params: URLSearchParams, known: string[]): string[] {
  return [...new Set([...params.keys()])].filter((k) => !known.includes(k));
}
