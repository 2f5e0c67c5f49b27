// Runs the stack's real bundles (stack/*/dist, built by setup) and a real Debian redis-server
// as child processes on free ports, for the stack's integration tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/docker/containers.js';
import { stackDir } from '../../src/paths.js';
import { buildBundles } from '../../src/images/bundles.js';

export interface Proc {
  child: ChildProcess;
  /** everything it printed so far */
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL after `ms`) */
  stop(ms?: number): Promise<number | null>;
}

export function start(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    async stop(ms = 8000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export interface RedisServer extends Proc {
  port: number;
  dir: string;
}

/** A real redis-server with an append-only file in `dir`, so a restart on the same dir keeps the data. */
export async function startRedis(port?: number, dir = mkdtempSync(join(tmpdir(), 'devcoin-redis-'))): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const proc = start('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']);
  await waitFor(async () => /Ready to accept connections/.test(proc.output()), 10_000, `redis-server did not start:\n${proc.output()}`);
  return { ...proc, port: p, dir };
}

/** Builds the stack bundles whose sources changed since they were built (a no-op when current), so a test never runs yesterday's miner. */
export async function freshBundles(): Promise<void> {
  await buildBundles();
}

export function bundle(service: 'miner' | 'api' | 'webui'): string {
  return join(stackDir, service, 'dist', `${service}.js`);
}

export async function waitFor(fn: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, body };
}
