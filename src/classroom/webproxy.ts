// The student's web UI through the classroom server: students' browsers cannot reach lab
// addresses, so the server forwards to the lab's node1 port 80 or 8080 (the 127.0.0.1 port the
// lab door gives, webUrlOf). The DevCoin web UI asks for absolute paths (/assets, /api/events), so
// it is served at the server's root for a browser that carries the student's web cookie; the
// classroom's own paths (/s/, /i/, /_c/) never go there. Cookies and the Authorization header
// are not forwarded: the student's stack never sees a classroom token.
import { request, type IncomingMessage, type ServerResponse } from 'node:http';

export const WEB_COOKIE = 'devcoin_classroom_web';
export const PORT_COOKIE = 'devcoin_classroom_port';

export function cookiesOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'cookie', 'authorization', 'host', 'origin', 'referer']);

/** Forwards `req` to `target` (http://127.0.0.1:PORT/), streaming both ways (SSE included). */
export function forward(req: IncomingMessage, res: ServerResponse, target: string, unreachable: (err: Error) => void): void {
  const url = new URL(req.url ?? '/', target);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k.toLowerCase())) headers[k] = v;
  headers.host = url.host;
  const up = request(url, { method: req.method, headers }, (upRes) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding', 'set-cookie'].includes(k)) out[k] = v;
    res.writeHead(upRes.statusCode ?? 502, out);
    upRes.pipe(res);
  });
  up.setTimeout(15_000, () => up.destroy(new Error('no answer within 15 s')));
  up.on('error', (err) => {
    if (!res.headersSent) unreachable(err);
    else res.destroy();
  });
  res.on('close', () => up.destroy());
  req.pipe(up);
}
