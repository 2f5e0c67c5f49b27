// Classroom tokens: the only credential a student's or the instructor's URL carries. 32 random
// bytes (256 bits, twice the floor) from crypto.randomBytes, written as base64url so a
// URL holds them as they are; compared in constant time. They live in the roster file, which is
// written 0600 in a 0700 folder under the config dir (roster.ts) and never printed by a log.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Whether a string has a token's shape (43 base64url characters): anything else is refused unread. */
export function looksLikeToken(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

/**
 * Constant-time equality of a presented token and a known one. Both are hashed first, so the
 * comparison takes the same time whatever their lengths (timingSafeEqual needs equal lengths,
 * and an early exit on length would tell an attacker the length).
 */
export function sameToken(presented: string, known: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(known).digest();
  return timingSafeEqual(a, b);
}

/** The one of `known` (checked all, in constant time each, no early exit) that `presented` is, if any. */
export function whichToken<T>(presented: string, known: { token: string; value: T }[]): T | undefined {
  let found: T | undefined;
  for (const k of known) if (sameToken(presented, k.token)) found = k.value;
  return found;
}

/** A URL, path or text with every token-shaped run replaced (what a log line may show). */
export function redact(text: string): string {
  return text.replace(/[A-Za-z0-9_-]{43}/g, '<token>');
}
