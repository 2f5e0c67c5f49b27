// One Redis connection for a stack service, configured from the environment: REDIS_HOST
// (default "redis"), REDIS_PORT (6379) and, in the secrets chapter, REDIS_PASSWORD_FILE. The
// password is only ever read from that file: never from an env variable or argv, where
// `docker inspect` and `ps` would show it.
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';

export interface RedisSettings {
  host: string;
  port: number;
  password?: string;
}

export function redisSettings(env: NodeJS.ProcessEnv = process.env): RedisSettings {
  const host = env.REDIS_HOST || 'redis';
  const port = Number(env.REDIS_PORT || 6379);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`REDIS_PORT must be a port number, got "${env.REDIS_PORT}"`);
  let password: string | undefined;
  if (env.REDIS_PASSWORD_FILE) {
    try {
      // a secret file often ends with a newline that is not part of the password
      password = readFileSync(env.REDIS_PASSWORD_FILE, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new Error(`cannot read the Redis password file named by REDIS_PASSWORD_FILE (${env.REDIS_PASSWORD_FILE}): ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
  return { host, port, password };
}

/** Delay before reconnect attempt n: doubling from 100 ms up to 3 s, with jitter so a fleet of miners does not reconnect in lockstep. */
export function backoff(attempt: number): number {
  const base = Math.min(3000, 100 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export function connectRedis(settings: RedisSettings, log: (msg: string) => void): Redis {
  const redis = new Redis({
    host: settings.host,
    port: settings.port,
    password: settings.password,
    // Commands fail at once while disconnected instead of queueing invisibly: the callers keep
    // what they must not lose (found coins) themselves and retry after the reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 3000,
    connectTimeout: 3000,
    retryStrategy: (times) => backoff(times),
    lazyConnect: false,
  });
  let up = false;
  let lastError = '';
  redis.on('ready', () => {
    up = true;
    lastError = '';
    log(`redis: connected to ${settings.host}:${settings.port}`);
  });
  redis.on('error', (err: Error) => {
    // one line per distinct failure, not one per retry
    const msg = err.message;
    if (msg !== lastError) log(`redis: ${msg}`);
    lastError = msg;
  });
  redis.on('close', () => {
    if (up) log('redis: connection lost, reconnecting with backoff');
    up = false;
  });
  return redis;
}

/** The settings, or a logged reason and exit code 1: what a service does at start-up. */
export function redisSettingsOrExit(log: (msg: string) => void): RedisSettings {
  try {
    return redisSettings();
  } catch (err) {
    log((err as Error).message);
    process.exit(1);
  }
}

export function logger(service: string): (msg: string) => void {
  return (msg) => process.stdout.write(`${new Date().toISOString()} ${service}: ${msg}\n`);
}
