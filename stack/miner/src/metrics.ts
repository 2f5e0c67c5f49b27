// What the miner tells the outside world about itself: Prometheus metrics (prom-client) and a
// health answer, both on one small HTTP server (METRICS_PORT, default 9102). Prometheus scrapes
// /metrics of every miner task it finds through Swarm's DNS (tasks.miner); Docker's healthcheck
// asks /healthz, and Swarm replaces a task that stays unhealthy (and, during a rolling update,
// rolls the update back).
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';

export const DEFAULT_METRICS_PORT = 9102;

export class MinerMetrics {
  readonly registry = new Registry();
  readonly hashes: Counter;
  readonly coins: Counter;
  readonly redisErrors: Counter;
  readonly waiting: Gauge;
  readonly healthy: Gauge;

  /** `node` and `version` label every series, so Prometheus can sum by node or by version. */
  constructor(labels: { node: string; version: string }) {
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    this.hashes = new Counter({ name: 'devcoin_miner_hashes_total', help: 'SHA-256 hashes this miner computed', registers });
    this.coins = new Counter({ name: 'devcoin_miner_coins_total', help: 'coins this miner found and Redis stored', registers });
    this.redisErrors = new Counter({ name: 'devcoin_miner_redis_errors_total', help: 'writes to Redis that failed (kept and tried again)', registers });
    this.waiting = new Gauge({ name: 'devcoin_miner_coins_waiting', help: 'coins found and not yet stored in Redis', registers });
    this.healthy = new Gauge({ name: 'devcoin_miner_healthy', help: '1 while the miner hashes and can store coins (what /healthz says)', registers });
  }
}

export interface Health {
  ok: boolean;
  /** why not, or what is fine */
  reason: string;
}

export interface HealthInputs {
  now: number;
  /** when hashes were last counted (epoch ms), 0 never */
  lastHashes: number;
  /** when a write to Redis last succeeded (epoch ms), 0 never */
  lastWrite: number;
  /** the last write error, if any */
  writeError: string;
  /** hashing paused because too many coins wait for Redis */
  paused: boolean;
  stopping: boolean;
  /** how old the last hashes and the last write may be (ms) */
  windowMs: number;
}

/**
 * Healthy while it hashes and can store coins: hashes counted and a Redis write that worked,
 * each within the window (the miner writes its hash counts every report interval). A miner that
 * cannot reach Redis keeps hashing, but its coins pile up unstored: that is not healthy.
 */
export function minerHealth(h: HealthInputs): Health {
  const secs = (ms: number) => `${Math.round(ms / 1000)} s`;
  if (h.stopping) return { ok: false, reason: 'stopping' };
  if (h.paused) return { ok: false, reason: 'hashing paused: too many coins wait for redis' };
  if (!h.lastHashes) return { ok: false, reason: 'not hashing yet' };
  if (h.now - h.lastHashes > h.windowMs) return { ok: false, reason: `no hash for ${secs(h.now - h.lastHashes)}` };
  const why = h.writeError ? ` (${h.writeError})` : '';
  if (!h.lastWrite) return { ok: false, reason: `no write to redis has worked yet${why}` };
  if (h.now - h.lastWrite > h.windowMs) return { ok: false, reason: `no write to redis has worked for ${secs(h.now - h.lastWrite)}${why}` };
  return { ok: true, reason: 'hashing, and redis takes its writes' };
}

/**
 * METRICS_PORT: a port number (0: any free one, said in the log), or "off". HOST: the address to
 * listen on (every interface unless set, as a container needs; tests on a host set 127.0.0.1).
 */
export function metricsPort(value: string | undefined): number | 'off' {
  if (value === undefined || value === '') return DEFAULT_METRICS_PORT;
  if (value === 'off') return 'off';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`METRICS_PORT must be a port number or "off", got "${value}"`);
  return n;
}

/** /metrics and /healthz. A port that cannot be bound is logged: the miner mines on, unhealthy to Docker. */
export function serveMetrics(metrics: MinerMetrics, health: () => Health, port: number, host: string | undefined, log: (m: string) => void): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      const h = health();
      metrics.healthy.set(h.ok ? 1 : 0);
      metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
        .catch((err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`));
      return;
    }
    if (path === '/healthz') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: h.ok ? 'ok' : 'unhealthy', reason: h.reason }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no such path: ${path}`, paths: ['/metrics', '/healthz'] }));
  });
  server.on('error', (err) => log(`metrics: cannot listen on ${host ?? ''}:${port} (${err.message}); no /metrics or /healthz`));
  server.listen(port, host, () => {
    const a = server.address();
    log(`metrics and health on ${host ?? ''}:${typeof a === 'object' && a ? a.port : port} (/metrics, /healthz)`);
  });
  return server;
}
