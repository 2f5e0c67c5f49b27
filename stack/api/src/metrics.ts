// The api's Prometheus metrics (prom-client): the requests it answered, and at each scrape what
// Redis holds (coins, live miners) and whether Redis answers. One registry per server, so two
// servers in one process (tests) do not share counters.
import { Counter, Gauge, Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { KEY } from '../../lib/keys.js';
import { readMiners } from './stats.js';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'route' | 'code'>;
}

export function apiMetrics(redis: Redis): ApiMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({ name: 'devcoin_api_requests_total', help: 'HTTP requests the api answered, by route and status code', labelNames: ['route', 'code'] as const, registers });
  // read once per scrape for the three gauges together (each gauge's collect asks for it)
  let reading: Promise<void> | undefined;
  const read = () =>
    (reading ??= (async () => {
      try {
        const [count, live] = await Promise.all([redis.get(KEY.coinCount), readMiners(redis)]);
        coins.set(Number(count ?? 0));
        miners.set(live.length);
        up.set(1);
      } catch {
        // no number is better than a stale one: the series stop, redis_up says why
        coins.reset();
        miners.reset();
        up.set(0);
      }
    })().finally(() => setImmediate(() => (reading = undefined))));
  const up: Gauge = new Gauge({ name: 'devcoin_api_redis_up', help: '1 when Redis answered at the last scrape, 0 when not', registers, collect: read });
  const coins: Gauge = new Gauge({ name: 'devcoin_coins_stored', help: 'coins stored in Redis (all miners)', registers, collect: read });
  const miners: Gauge = new Gauge({ name: 'devcoin_miners_reporting', help: 'miners whose report in Redis is live', registers, collect: read });
  return { registry, requests };
}
