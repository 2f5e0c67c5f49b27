// Finding and connecting to Docker engines. This folder (src/docker) is the only place that
// talks to an engine; everything else asks it.
//
// Discovery order for the host engine, as the docker CLI and testcontainers do it:
// DOCKER_HOST, then DOCKER_CONTEXT / the current docker context, then the usual sockets.
import Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, UserError } from '../errors.js';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface Endpoint {
  /** e.g. unix:///var/run/docker.sock, tcp://127.0.0.1:2376, ssh://me@host */
  host: string;
  tls?: TlsFiles;
  /** where this endpoint came from: DOCKER_HOST, context <name>, socket */
  source: string;
}

export interface Engine {
  docker: Docker;
  endpoint: Endpoint;
}

function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG || join(homedir(), '.docker');
}

/** Reads a docker context's endpoint (as `docker context` stores it), or undefined. */
export function contextEndpoint(name: string): Endpoint | undefined {
  if (name === 'default') return undefined;
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = join(dockerConfigDir(), 'contexts', 'meta', id, 'meta.json');
  if (!existsSync(metaFile)) return undefined;
  try {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    const host: string | undefined = meta?.Endpoints?.docker?.Host;
    if (!host) return undefined;
    const tlsDir = join(dockerConfigDir(), 'contexts', 'tls', id, 'docker');
    const tls = existsSync(join(tlsDir, 'ca.pem'))
      ? { ca: join(tlsDir, 'ca.pem'), cert: join(tlsDir, 'cert.pem'), key: join(tlsDir, 'key.pem') }
      : undefined;
    return { host, tls, source: `docker context ${name}` };
  } catch {
    return undefined;
  }
}

function currentContextName(): string | undefined {
  if (process.env.DOCKER_CONTEXT) return process.env.DOCKER_CONTEXT;
  try {
    const cfg = JSON.parse(readFileSync(join(dockerConfigDir(), 'config.json'), 'utf8'));
    return typeof cfg.currentContext === 'string' ? cfg.currentContext : undefined;
  } catch {
    return undefined;
  }
}

/** Where the host engine should be, without connecting. */
export function discoverHostEndpoint(env: NodeJS.ProcessEnv = process.env): Endpoint {
  if (env.DOCKER_HOST) {
    const certPath = env.DOCKER_CERT_PATH || dockerConfigDir();
    const tls =
      env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0'
        ? { ca: join(certPath, 'ca.pem'), cert: join(certPath, 'cert.pem'), key: join(certPath, 'key.pem') }
        : undefined;
    return { host: env.DOCKER_HOST, tls, source: 'DOCKER_HOST' };
  }
  const ctx = currentContextName();
  if (ctx) {
    const ep = contextEndpoint(ctx);
    if (ep) return ep;
  }
  const candidates = [
    '/var/run/docker.sock',
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker.sock') : '',
    join(homedir(), '.colima', 'default', 'docker.sock'),
    join(homedir(), '.rd', 'docker.sock'),
  ].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  return { host: `unix://${found ?? '/var/run/docker.sock'}`, source: found ? 'socket' : 'default socket' };
}

/** A dockerode client for an endpoint (no connection is made yet). */
export function clientFor(ep: Endpoint): Docker {
  const url = ep.host;
  if (url.startsWith('unix://')) return new Docker({ socketPath: url.slice('unix://'.length) });
  if (url.startsWith('npipe://')) return new Docker({ socketPath: url.slice('npipe://'.length) });
  const u = new URL(url);
  if (u.protocol === 'ssh:') {
    return new Docker({
      protocol: 'ssh',
      host: u.hostname,
      port: u.port ? Number(u.port) : 22,
      username: u.username || undefined,
      sshOptions: { agent: process.env.SSH_AUTH_SOCK },
    } as Docker.DockerOptions);
  }
  if (u.protocol === 'tcp:' || u.protocol === 'http:' || u.protocol === 'https:') {
    const port = u.port ? Number(u.port) : ep.tls ? 2376 : 2375;
    if (ep.tls) {
      return new Docker({
        protocol: 'https',
        host: u.hostname,
        port,
        ca: readFileSync(ep.tls.ca),
        cert: readFileSync(ep.tls.cert),
        key: readFileSync(ep.tls.key),
      });
    }
    return new Docker({ protocol: 'http', host: u.hostname, port });
  }
  throw new UserError(`unsupported engine address ${url}`, 'use unix://, tcp:// or ssh://', ExitCode.usage);
}

/** Turns a connection failure into one line that says what to do. */
export function engineError(ep: Endpoint, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const where = `${ep.host} (${ep.source})`;
  if (code === 'EACCES') {
    return new UserError(
      `not allowed to use the Docker engine at ${where}`,
      'add yourself to the docker group (then log in again) or run as root',
      ExitCode.engine,
    );
  }
  const fix =
    ep.source === 'DOCKER_HOST'
      ? 'start that engine, or unset DOCKER_HOST to use the local one'
      : 'start Docker, or run `bash scripts/ensure-engine.sh` (installs and starts one on Debian/Ubuntu)';
  const why = code ? ` (${code})` : err instanceof Error && err.message ? ` (${err.message.split('\n')[0]})` : '';
  return new UserError(`no Docker engine answers at ${where}${why}`, fix, ExitCode.engine);
}

/** Pings with a time limit; resolves to the engine or throws a UserError. */
export async function connect(ep: Endpoint, timeoutMs = 8000): Promise<Engine> {
  const docker = clientFor(ep);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw engineError(ep, err);
  } finally {
    if (timer) clearTimeout(timer);
  }
  return { docker, endpoint: ep };
}

export async function hostEngine(): Promise<Engine> {
  return connect(discoverHostEndpoint());
}
