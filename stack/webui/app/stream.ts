// The live feed: one EventSource on /api/events. The api sends a full snapshot each second
// (stats, live miners, per-second hash counts), so the page never has to stitch samples.
import { reactive } from 'vue';

// the same shapes the api sends: one definition, shared with the services (types only)
export type { Stats } from '../../api/src/stats.js';
export type { MinerReport as Miner, Coin } from '../../lib/keys.js';
import type { Stats } from '../../api/src/stats.js';
import type { MinerReport as Miner, Coin } from '../../lib/keys.js';

/** connecting: first contact; live: data flows; redis: api up, Redis not; unreachable: no api */
export type LinkState = 'connecting' | 'live' | 'redis' | 'unreachable';

export const feed = reactive({
  state: 'connecting' as LinkState,
  reason: '',
  stats: undefined as Stats | undefined,
  miners: [] as Miner[],
  history: { end: 0, values: [] as number[] },
  coins: [] as Coin[],
  lastMessage: 0,
});

export function startFeed(): void {
  let source: EventSource | undefined;
  const connect = () => {
    source?.close();
    source = new EventSource('/api/events');
    source.addEventListener('stats', (e) => {
      const snap = JSON.parse((e as MessageEvent).data);
      feed.stats = snap.stats;
      feed.miners = snap.miners;
      feed.history = snap.history;
      feed.state = 'live';
      feed.reason = '';
      feed.lastMessage = Date.now();
    });
    source.addEventListener('unavailable', (e) => {
      const body = JSON.parse((e as MessageEvent).data);
      feed.state = 'redis';
      feed.reason = body.reason ?? body.error;
      feed.lastMessage = Date.now();
    });
    source.onerror = () => {
      if (source?.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
      feed.state = 'unreachable';
      feed.reason = 'no answer from /api/events';
    };
  };
  connect();
  // a proxy that holds the stream open but passes nothing is as good as no api
  setInterval(() => {
    if (feed.state === 'live' && Date.now() - feed.lastMessage > 5000) {
      feed.state = 'unreachable';
      feed.reason = 'no update for 5 seconds';
      connect();
    }
  }, 1000);

  const loadCoins = async () => {
    if (feed.state !== 'live') return;
    try {
      const r = await fetch('/api/coins?limit=8', { cache: 'no-store' });
      if (r.ok) feed.coins = await r.json();
    } catch {
      /* the stream's state already says what is wrong */
    }
  };
  setInterval(loadCoins, 2000);
  void loadCoins();
}
