// The web UI's server: the Vite build (dist/public, next to this bundle) as static files, with
// index.html for any other path so the app can own its URLs. In the full stack the proxy sends
// /api to the api service on the same origin; before the proxy exists (the stack chapter), set
// API_UPSTREAM (e.g. http://api:8080) and this server passes /api/* on to it itself.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const root = process.env.WEBUI_ROOT || join(dirname(fileURLToPath(import.meta.url)), 'public');
const port = Number(process.env.PORT || 8080);
const log = (msg: string) => process.stdout.write(`${new Date().toISOString()} webui: ${msg}\n`);

let upstream: URL | undefined;
if (process.env.API_UPSTREAM) {
  try {
    upstream = new URL(process.env.API_UPSTREAM);
    if (upstream.protocol !== 'http:') throw new Error('only http:// is supported');
  } catch (err) {
    log(`API_UPSTREAM must be a URL like http://api:8080 (${(err as Error).message})`);
    process.exit(1);
  }
}

/** Passes one /api request to the api, streaming both ways (so /api/events works). */
function forward(req: IncomingMessage, res: ServerResponse, to: URL): void {
  const headers = { ...req.headers, host: to.host };
  const out = request({ hostname: to.hostname, port: to.port || 80, method: req.method, path: req.url, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  out.on('error', (err) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'api unreachable', reason: err.message }));
    } else res.end();
  });
  // the browser went away (a closed SSE stream): let the api know
  res.on('close', () => out.destroy());
  req.pipe(out);
}

async function file(path: string): Promise<{ body: Buffer; type: string } | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
    return { body: await readFile(path), type: TYPES[extname(path)] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://webui');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
    if (upstream) return forward(req, res, upstream);
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no api here: reach the web UI through the proxy, or set API_UPSTREAM' }));
    return;
  }
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  // decoded and normalised, then required to stay under root: no ../ escapes
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
  } catch {
    res.writeHead(400).end();
    return;
  }
  const full = join(root, rel);
  if (full !== root && !full.startsWith(root + sep)) {
    res.writeHead(404).end();
    return;
  }
  const isAsset = rel.startsWith('assets/');
  const found = (rel && (await file(full))) || (!isAsset ? await file(join(root, 'index.html')) : undefined);
  if (!found) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, {
    'content-type': found.type,
    'content-length': found.body.length,
    // Vite names assets by content hash: they never change; index.html must always be fresh
    'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : found.body);
});

// HOST: every interface unless set (a test on a host sets 127.0.0.1)
const host = process.env.HOST || undefined;
server.listen(port, host, () => log(`serving ${root} on ${host ?? ''}:${port}${upstream ? `, /api from ${upstream.origin}` : ''}`));
const stop = () => {
  // forwarded event streams never end by themselves
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
