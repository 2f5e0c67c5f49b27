// The page's way to its server: every call and socket under the path that carries its token
// (the token never goes anywhere else: no query string, no referrer, no other host).
export const role: 'student' | 'instructor' = location.pathname.startsWith('/i/') ? 'instructor' : 'student';
export const base = /^\/[si]\/[A-Za-z0-9_-]{43}\//.exec(location.pathname)?.[0] ?? '/invalid/';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, (data as { error?: string }).error ?? `HTTP ${r.status}`);
  return data as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);

export function socket(path: string): WebSocket {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${location.host}${base}${path}`);
  ws.binaryType = 'arraybuffer';
  return ws;
}

export interface Check {
  id: string;
  title: string;
  ok: boolean;
  detail?: string;
  hint?: string;
}

export function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return m < 1 ? '<1 min' : m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
