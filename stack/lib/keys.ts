// Redis key names shared by the miner (writer) and the api (reader). One place, so the two
// services cannot drift apart.
export const KEY = {
  /** counter: coins ever stored; INCR gives each coin its id */
  coinCount: 'devcoin:coins:count',
  /** sorted set of the newest coins (JSON), scored by id */
  coins: 'devcoin:coins',
  /** total hashes ever reported */
  hashTotal: 'devcoin:hashes:total',
  /** the sequence number of the last hash report one miner run had applied: a replayed report is a no-op */
  hashReport: (writer: string) => `devcoin:hashes:applied:${writer}`,
  /** hashes done during one wall-clock second (epoch seconds), expiring */
  hashBucket: (second: number) => `devcoin:hashes:${second}`,
  /** a live miner's report; expires so a stopped miner vanishes */
  miner: (id: string) => `devcoin:miner:${id}`,
  minerPattern: 'devcoin:miner:*',
  /** marker that a coin hash was already stored, holding the miner run that stored it (a retried write must not count twice) */
  seen: (hash: string) => `devcoin:seen:${hash}`,
} as const;

/** How many coins the sorted set keeps; the counter keeps counting beyond. */
export const COINS_KEPT = 10_000;
/** Seconds a per-second hash bucket lives: the chart shows at most this far back. */
export const BUCKET_TTL = 900;

export interface Coin {
  id: number;
  hash: string;
  prev: string;
  nonce: string;
  miner: string;
  node: string;
  difficulty: number;
  /** epoch milliseconds when it was found */
  time: number;
}

export interface MinerReport {
  id: string;
  node: string;
  /** hashes per second over the last report interval */
  rate: number;
  threads: number;
  difficulty: number;
  speedLimit: number | 'unlimited';
  /** the miner's version (MINER_VERSION, set when its image is built) */
  version: string;
  coins: number;
  pending: number;
  since: number;
  time: number;
}
