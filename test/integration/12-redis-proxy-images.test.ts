// The stack's Redis and proxy images on the real engine: a password that only a file (a
// secret) carries, kept out of argv, env, inspect and logs; data that survives a restart; and
// a proxy that routes by path and follows scaling through Docker's DNS.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Docker from 'dockerode';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execIn } from '../../src/docker/exec.js';
import { freePort } from '../../src/docker/containers.js';
import { IMAGES } from '../../src/images/catalog.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const prefix = `devcoin-imgtest-${process.pid}`;
const made: string[] = [];
const network = `${prefix}-net`;

async function run(name: string, opts: Docker.ContainerCreateOptions): Promise<Docker.Container> {
  const c = await docker.createContainer({ name: `${prefix}-${name}`, ...opts });
  made.push(c.id);
  await c.start();
  return c;
}

async function redisCli(id: string, args: string[], password?: string) {
  // REDISCLI_AUTH keeps the password out of redis-cli's argv in the test as well
  return execIn(docker, id, ['redis-cli', ...args], { env: password ? [`REDISCLI_AUTH=${password}`] : [] });
}

async function until(fn: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 300));
  }
  return true;
}

beforeAll(async () => {
  for (const image of [IMAGES.redis, IMAGES.proxy, IMAGES.busybox]) {
    await docker.getImage(image).inspect().catch(() => {
      throw new Error(`${image} is not built: run devcoin-workshop setup first`);
    });
  }
  await docker.createNetwork({ Name: network });
});

afterAll(async () => {
  await Promise.all(made.map((id) => docker.getContainer(id).remove({ force: true, v: true }).catch(() => {})));
  await docker.getNetwork(network).remove().catch(() => {});
});

describe('redis image', () => {
  const password = randomBytes(20).toString('base64');
  let redis: Docker.Container;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcoin-secret-'));
    writeFileSync(join(dir, 'redis_password'), password);
    chmodSync(join(dir, 'redis_password'), 0o644);
    redis = await run('redis', {
      Image: IMAGES.redis,
      Env: ['REDIS_PASSWORD_FILE=/run/secrets/redis_password'],
      HostConfig: { Binds: [`${dir}/redis_password:/run/secrets/redis_password:ro`, `${prefix}-data:/data`], NetworkMode: network },
    });
    expect(await until(async () => (await redisCli(redis.id, ['ping'], password)).stdout.includes('PONG'))).toBe(true);
  });

  it('refuses a client without the password (NOAUTH) and answers one with it', async () => {
    expect((await redisCli(redis.id, ['set', 'k', 'v'])).stdout).toMatch(/NOAUTH/);
    expect((await redisCli(redis.id, ['set', 'coins', '42'], password)).stdout.trim()).toBe('OK');
  });

  it('keeps the password out of argv, environment, inspect and logs', async () => {
    const procs = await execIn(docker, redis.id, ['sh', '-c', 'cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr "\\0" " "']);
    expect(procs.stdout.length).toBeGreaterThan(0);
    expect(procs.stdout).not.toContain(password);
    expect(JSON.stringify(await redis.inspect())).not.toContain(password);
    const logs = ((await redis.logs({ stdout: true, stderr: true })) as unknown as Buffer).toString();
    expect(logs).not.toContain(password);
  });

  it('keeps its data across a restart (append-only file on the volume)', async () => {
    await redis.restart();
    expect(await until(async () => (await redisCli(redis.id, ['get', 'coins'], password)).stdout.trim() === '42')).toBe(true);
  });

  afterAll(async () => {
    await docker.getContainer(redis.id).remove({ force: true }).catch(() => {});
    await docker.getVolume(`${prefix}-data`).remove().catch(() => {});
  });
});

describe('proxy image', () => {
  let port: number;
  const get = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) })).text();
  const httpd = (alias: string, files: string) => ({
    Image: IMAGES.busybox,
    Cmd: ['sh', '-c', `mkdir -p /w/api && ${files} && httpd -f -p 8080 -h /w`],
    HostConfig: { NetworkMode: network },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [alias] } } },
  });

  beforeAll(async () => {
    port = await freePort();
    await run('api1', httpd('api', 'echo api-1 > /w/api/stats && echo healthy > /w/healthz'));
    await run('webui', httpd('webui', 'echo the-webui > /w/index.html'));
    await run('proxy', {
      Image: IMAGES.proxy,
      HostConfig: { NetworkMode: network, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
      ExposedPorts: { '80/tcp': {} },
    });
    expect(await until(async () => (await get('/api/stats')).trim() === 'api-1')).toBe(true);
  });

  it('routes /api and /healthz to the api and everything else to the web UI', async () => {
    expect((await get('/healthz')).trim()).toBe('healthy');
    expect((await get('/')).trim()).toBe('the-webui');
  });

  it('follows a scale-up through Docker DNS, with no reload', async () => {
    await run('api2', httpd('api', 'echo api-2 > /w/api/stats'));
    const seen = new Set<string>();
    expect(await until(async () => {
      seen.add((await get('/api/stats')).trim());
      return seen.has('api-1') && seen.has('api-2');
    }, 30_000)).toBe(true);
  });
});
