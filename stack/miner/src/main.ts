// Entry point of the miner bundle. The same file is the worker threads' code (workerData says
// which), so the image ships one file. `--bench SECONDS` measures one thread with no limit and
// no Redis, for the benchmarks.
import { isMainThread, workerData } from 'node:worker_threads';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { runWorker } from './worker.js';
import { benchmark } from './pow.js';
import { ConfigWatcher } from './config.js';
import { Miner, STOP_GRACE_MS } from './miner.js';
import { MinerMetrics, metricsPort, serveMetrics } from './metrics.js';
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
  // MINER_STOP_GRACE: seconds a stopping miner keeps trying to store what it found; keep it
  // below the service's stop_grace_period (30 s in the stack files), after which Docker kills
  let stopGraceMs = STOP_GRACE_MS;
  if (process.env.MINER_STOP_GRACE) {
    const g = Number(process.env.MINER_STOP_GRACE);
    if (g > 0 && g <= 600) stopGraceMs = g * 1000;
    else log(`MINER_STOP_GRACE must be seconds from 0 to 600, got "${process.env.MINER_STOP_GRACE}"; using ${STOP_GRACE_MS / 1000}`);
  }
  // the version its image was built as (the Dockerfile's MINER_VERSION build argument)
  const version = process.env.MINER_VERSION || 'dev';
  let port: number | 'off';
  try {
    port = metricsPort(process.env.METRICS_PORT);
  } catch (err) {
    log((err as Error).message);
    process.exit(1);
  }
  const metrics = new MinerMetrics({ node, version });
  const redis = connectRedis(settings, log);
  let miner: Miner | undefined;
  const config = new ConfigWatcher(process.env.MINER_CONFIG || undefined, (next, prev) => void miner?.applyConfig(next, prev), log);
  miner = new Miner({ id, node, redis, config, log, workerFile: new URL(import.meta.url), stopGraceMs, version, metrics });
  log(`DevCoin miner ${version}`);
  miner.start();
  const server = port === 'off' ? undefined : serveMetrics(metrics, () => miner!.health(), port, process.env.HOST || undefined, log);
  config.start();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    config.stop();
    server?.close();
    const settled = await miner!.stop(signal);
    redis.disconnect();
    // 1 when coins or hashes could not be written: the stop did not finish the miner's job
    process.exit(settled ? 0 : 1);
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
