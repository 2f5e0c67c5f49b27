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
  /** reads Redis for the gauges: call it before each scrape */
  refresh(): Promise<void>;
}

export function apiMetrics(redis: Redis): ApiMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({ name: 'devcoin_api_requests_total', help: 'HTTP requests the api answered, by route and status code', labelNames: ['route', 'code'] as const, registers });
  const up = new Gauge({ name: 'devcoin_api_redis_up', help: '1 when Redis answered at the last scrape, 0 when not', registers });
  const coins = new Gauge({ name: 'devcoin_coins_stored', help: 'coins stored in Redis (all miners)', registers });
  const miners = new Gauge({ name: 'devcoin_miners_reporting', help: 'miners whose report in Redis is live', registers });
  // one read of Redis per scrape, before the registry is asked, sets all three together
  const refresh = async () => {
    try {
      const [count, live] = await Promise.all([redis.get(KEY.coinCount), readMiners(redis)]);
      coins.set(Number(count ?? 0));
      miners.set(live.length);
      up.set(1);
    } catch {
      // unknown, not a stale number nor a false 0: NaN, and redis_up says why
      coins.set(NaN);
      miners.set(NaN);
      up.set(0);
    }
  };
  return { registry, requests, refresh };
}
