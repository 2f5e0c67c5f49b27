// What the api reads from Redis. Hash rates come from the per-second buckets the miners fill
// (each hash counted in the second it was done), so they are exact sums over whole seconds,
// not differences between two samples taken at unrelated moments.
import type { Redis } from 'ioredis';
import { KEY, type Coin, type MinerReport } from '../../lib/keys.js';

/** Seconds left out at the end: miners report once a second, so the newest buckets are still filling. */
export const LAG_SECONDS = 2;
export const HISTORY_SECONDS = 180;

export interface Stats {
  coins: number;
  totalHashes: number;
  hashRate10s: number;
  hashRate60s: number;
  miners: number;
  nodes: number;
  time: number;
}

export interface History {
  /** epoch second of the last value */
  end: number;
  /** hashes done in each second, oldest first */
  values: number[];
}

export interface Snapshot {
  stats: Stats;
  miners: MinerReport[];
  history: History;
}

export async function readMiners(redis: Redis): Promise<MinerReport[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', KEY.minerPattern, 'COUNT', 200);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  const miners: MinerReport[] = [];
  for (const v of values) {
    if (!v) continue; // expired between SCAN and MGET
    try {
      miners.push(JSON.parse(v) as MinerReport);
    } catch {
      /* not ours */
    }
  }
  return miners.sort((a, b) => a.node.localeCompare(b.node) || a.id.localeCompare(b.id));
}

export async function readHistory(redis: Redis, seconds: number, nowMs = Date.now()): Promise<History> {
  const end = Math.floor(nowMs / 1000) - LAG_SECONDS;
  const keys = Array.from({ length: seconds }, (_, i) => KEY.hashBucket(end - seconds + 1 + i));
  const values = (await redis.mget(...keys)).map((v) => Number(v ?? 0));
  return { end, values };
}

function sumLast(values: number[], n: number): number {
  return values.slice(-n).reduce((a, b) => a + b, 0);
}

export function statsFrom(coins: number, totalHashes: number, history: History, miners: MinerReport[], nowMs: number): Stats {
  return {
    coins,
    totalHashes,
    hashRate10s: Math.round(sumLast(history.values, 10) / 10),
    hashRate60s: Math.round(sumLast(history.values, 60) / 60),
    miners: miners.length,
    nodes: new Set(miners.map((m) => m.node)).size,
    time: nowMs,
  };
}

export async function readSnapshot(redis: Redis, historySeconds = HISTORY_SECONDS): Promise<Snapshot> {
  const now = Date.now();
  const [counts, history, miners] = await Promise.all([
    redis.mget(KEY.coinCount, KEY.hashTotal),
    readHistory(redis, Math.max(60, historySeconds), now),
    readMiners(redis),
  ]);
  const stats = statsFrom(Number(counts[0] ?? 0), Number(counts[1] ?? 0), history, miners, now);
  return { stats, miners, history: { end: history.end, values: history.values.slice(-historySeconds) } };
}

export async function readCoins(redis: Redis, limit: number): Promise<Coin[]> {
  const raw = await redis.zrevrange(KEY.coins, 0, limit - 1);
  return raw.map((r) => JSON.parse(r) as Coin);
}
