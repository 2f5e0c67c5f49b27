// The api's HTTP side on node:http: a handful of read-only JSON routes, Server-Sent Events for
// the web UI, and a health check that is only green while Redis answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { parseLimit, unknownParams } from './query.js';
import { readCoins, readMiners, readSnapshot, type Snapshot } from './stats.js';
import { apiMetrics } from './metrics.js';

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

/** Why Redis cannot be used right now, or undefined when it can. */
async function redisProblem(redis: Redis): Promise<string | undefined> {
  if (redis.status !== 'ready') return `redis is ${redis.status === 'reconnecting' || redis.status === 'connecting' ? 'unreachable (reconnecting)' : redis.status}`;
  try {
    const pong = await Promise.race([
      redis.ping(),
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no answer within 1 s')), 1000).unref()),
    ]);
    return pong === 'PONG' ? undefined : `redis answered ${pong}`;
  } catch (err) {
    return `redis: ${(err as Error).message}`;
  }
}

function unavailable(res: ServerResponse, err: unknown): void {
  json(res, 503, { error: 'redis unavailable', reason: (err as Error)?.message ?? String(err) }, { 'retry-after': '2' });
}

export interface ApiOptions {
  log?: (msg: string) => void;
  /** SSE period in ms (tests shorten it) */
  eventsEveryMs?: number;
}

export function createApi(redis: Redis, opts: ApiOptions = {}): Server {
  const log = opts.log ?? (() => {});
  const clients = new Set<ServerResponse>();
  const metrics = apiMetrics(redis);
  let ticker: NodeJS.Timeout | undefined;

  // One Redis read per tick for every SSE client together, not one per client.
  const tick = async () => {
    let payload: string;
    try {
      const snap: Snapshot = await readSnapshot(redis);
      payload = `event: stats\ndata: ${JSON.stringify(snap)}\n\n`;
    } catch (err) {
      payload = `event: unavailable\ndata: ${JSON.stringify({ error: 'redis unavailable', reason: (err as Error).message })}\n\n`;
    }
    for (const c of clients) c.write(payload);
  };

  const events = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // proxies must pass each event on at once
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    clients.add(res);
    if (!ticker) ticker = setInterval(() => void tick(), opts.eventsEveryMs ?? 1000);
    void tick();
    req.on('close', () => {
      clients.delete(res);
      if (clients.size === 0 && ticker) {
        clearInterval(ticker);
        ticker = undefined;
      }
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://api');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const routes = ['/healthz', '/metrics', '/api/stats', '/api/miners', '/api/coins', '/api/events'];
    // counted by route (a known path, or "other"), with the status it got
    res.on('finish', () => metrics.requests.inc({ route: routes.includes(path) ? path : 'other', code: String(res.statusCode) }));
    if (!routes.includes(path)) return json(res, 404, { error: `no such path: ${path}`, paths: routes });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: `${req.method} is not allowed; this api only reads` }, { allow: 'GET, HEAD' });
    if (path !== '/api/coins') {
      const extra = unknownParams(url.searchParams, []);
      if (extra.length && path !== '/api/events') return json(res, 400, { error: `unknown query parameter: ${extra.join(', ')}` });
    }
    switch (path) {
      case '/healthz': {
        const problem = await redisProblem(redis);
        return problem ? json(res, 503, { status: 'unavailable', reason: problem }) : json(res, 200, { status: 'ok' });
      }
      case '/metrics': {
        await metrics.refresh();
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
        return void res.end(text);
      }
      case '/api/stats':
        try {
          return json(res, 200, (await readSnapshot(redis, 60)).stats);
        } catch (err) {
          return unavailable(res, err);
        }
      case '/api/miners':
        try {
          return json(res, 200, await readMiners(redis));
        } catch (err) {
          return unavailable(res, err);
        }
      case '/api/coins': {
        const extra = unknownParams(url.searchParams, ['limit']);
        if (extra.length) return json(res, 400, { error: `unknown query parameter: ${extra.join(', ')} (only limit)` });
        const limit = parseLimit(url.searchParams);
        if (!limit.ok) return json(res, 400, { error: limit.error });
        try {
          return json(res, 200, await readCoins(redis, limit.value));
        } catch (err) {
          return unavailable(res, err);
        }
      }
      case '/api/events':
        return events(req, res);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log(`error on ${req.method} ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
  server.on('close', () => {
    clearInterval(ticker);
    for (const c of clients) c.end();
  });
  return server;
}
