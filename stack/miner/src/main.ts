// Entry point of the miner bundle. The same file is the worker threads' code (workerData says
// which), so the image ships one file. `--bench SECONDS` measures one thread with no limit and
// no Redis, for the benchmarks.
import { isMainThread, workerData } from 'node:worker_threads';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { runWorker } from './worker.js';
import { benchmark } from './pow.js';
import { ConfigWatcher } from './config.js';
import { Miner } from './miner.js';
import { connectRedis, logger, redisSettingsOrExit } from '../../lib/redis.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const b = args.indexOf('--bench');
  if (b !== -1) {
    const seconds = Number(args[b + 1] ?? 3);
    if (!(seconds > 0)) {
      process.stderr.write('usage: miner.js --bench SECONDS\n');
      process.exit(2);
    }
    const r = benchmark(seconds);
    process.stdout.write(JSON.stringify({ hashesPerSecond: r.hashesPerSecond, hashes: r.hashes, seconds: Number(r.seconds.toFixed(3)), threads: 1 }) + '\n');
    return;
  }
  const log = logger('miner');
  const settings = redisSettingsOrExit(log);
  // container hostnames are unique per replica; the suffix keeps two miners on one host apart
  const id = process.env.MINER_ID || `${hostname()}-${randomBytes(2).toString('hex')}`;
  const node = process.env.NODE_NAME || hostname();
  const redis = connectRedis(settings, log);
  let miner: Miner | undefined;
  const config = new ConfigWatcher(process.env.MINER_CONFIG || undefined, (next, prev) => void miner?.applyConfig(next, prev), log);
  miner = new Miner({ id, node, redis, config, log, workerFile: new URL(import.meta.url) });
  miner.start();
  config.start();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    config.stop();
    await miner!.stop();
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

if (!isMainThread && (workerData as { role?: string })?.role === 'devcoin-miner-worker') runWorker();
else
  main().catch((err) => {
    process.stderr.write(`miner: ${err?.stack ?? err}\n`);
    process.exit(1);
  });
