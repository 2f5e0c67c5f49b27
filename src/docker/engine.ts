// Finding and connecting to Docker engines. Every engine client is made here (src/docker holds
// what any engine is asked, knowing nothing of labs or chapters); the lab and swarm modules call
// the engine API through the clients made here.
//
// Discovery order for the host engine, as the docker CLI and testcontainers do it:
// DOCKER_HOST, then DOCKER_CONTEXT / the current docker context, then the usual sockets.
import Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { configDir, labDir } from '../paths.js';
import { withTimeout } from '../retry.js';
import { sshAgent } from './ssh.js';

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
  /**
   * The address this machine reaches the ports the engine publishes at, where that is not the
   * endpoint's own host (an engine in a network namespace of its own, reached over a unix socket)
   */
  publishAddress?: string;
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

/**
 * What `lab up` remembers of the engine that runs a lab (labs/<lab>/host.json): its endpoint,
 * and the host ports of the lab's nodes. A shell where `eval "$(devcoin-workshop lab env
 * node1)"` ran points DOCKER_HOST at node1; the CLI must still find the engine that runs the
 * lab, not look for the lab inside node1.
 */
export interface HostRecord {
  host: string;
  tls?: TlsFiles;
  source: string;
  /** 127.0.0.1 ports of the lab's nodes (their TLS engines) */
  ports: number[];
  /**
   * Set when the lab runs on an engine that is not this machine's (a classroom's other machine):
   * the address its node ports are published on, as this machine reaches it
   */
  away?: { address: string };
}

function hostRecordFile(lab: string): string {
  return join(labDir(lab), 'host.json');
}

export function rememberHost(lab: string, ep: Endpoint, ports: number[], away?: HostRecord['away']): void {
  const file = hostRecordFile(lab);
  mkdirSync(labDir(lab), { recursive: true });
  const rec: HostRecord = { host: ep.host, tls: ep.tls, source: ep.source, ports: [...new Set(ports)].sort((a, b) => a - b), ...(away ? { away } : {}) };
  // written whole or not at all: a reader never sees half a file
  writeFileSync(`${file}.tmp`, JSON.stringify(rec, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function forgetHost(lab: string): void {
  rmSync(hostRecordFile(lab), { force: true });
}

/** What `lab up` remembered of the engine that runs `lab`, if anything. */
export function readHostRecord(lab: string): HostRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(hostRecordFile(lab), 'utf8')) as HostRecord;
    return typeof rec.host === 'string' && Array.isArray(rec.ports) ? rec : undefined;
  } catch {
    return undefined;
  }
}

function readHostRecords(): Map<string, HostRecord> {
  const out = new Map<string, HostRecord>();
  const labs = join(configDir(), 'labs');
  let names: string[] = [];
  try {
    names = readdirSync(labs);
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      const rec = JSON.parse(readFileSync(hostRecordFile(name), 'utf8')) as HostRecord;
      if (typeof rec.host === 'string' && Array.isArray(rec.ports)) out.set(name, rec);
    } catch {
      /* no record (an older lab, or a connected one) */
    }
  }
  return out;
}

/**
 * The lab whose node a DOCKER_HOST points at, when it is one this tool handed out (`lab env`):
 * its certificates lie under our labs folder, or its 127.0.0.1 port is one of a lab's nodes.
 */
export function labOfDockerHost(env: NodeJS.ProcessEnv = process.env): { lab: string; record?: HostRecord } | undefined {
  if (!env.DOCKER_HOST) return undefined;
  const labsDir = resolve(configDir(), 'labs') + sep;
  const records = readHostRecords();
  if (env.DOCKER_CERT_PATH && resolve(env.DOCKER_CERT_PATH).startsWith(labsDir)) {
    const lab = resolve(env.DOCKER_CERT_PATH).slice(labsDir.length).split(sep)[0];
    return { lab, record: records.get(lab) };
  }
  let url: URL;
  try {
    url = new URL(env.DOCKER_HOST);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'tcp:' || !['127.0.0.1', 'localhost'].includes(url.hostname)) return undefined;
  for (const [lab, rec] of records) if (rec.ports.includes(Number(url.port))) return { lab, record: rec };
  return undefined;
}

const WITHOUT_DOCKER_HOST = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { DOCKER_HOST: _h, DOCKER_TLS_VERIFY: _v, DOCKER_CERT_PATH: _c, ...rest } = env;
  return rest;
};

/** Where the host engine should be, without connecting. */
export function discoverHostEndpoint(env: NodeJS.ProcessEnv = process.env): Endpoint {
  const own = labOfDockerHost(env);
  if (own) {
    // DOCKER_HOST is a lab node (lab env): the host is the engine that runs that lab
    const why = `DOCKER_HOST points at a node of lab ${own.lab} (lab env)`;
    if (own.record) return { host: own.record.host, tls: own.record.tls, source: `the engine that runs lab ${own.lab}, remembered at lab up; ${why}` };
    const ep = discoverHostEndpoint(WITHOUT_DOCKER_HOST(env));
    return { ...ep, source: `${ep.source}; ${why}` };
  }
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

/**
 * The environment for a docker CLI child process that must talk to `ep` whatever the user's
 * shell points at (e.g. `lab shell` after `lab env node1`).
 */
export function dockerCliEnv(ep: Endpoint, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { DOCKER_HOST: _h, DOCKER_TLS_VERIFY: _v, DOCKER_CERT_PATH: _c, DOCKER_CONTEXT: _x, ...rest } = env;
  if (!ep.tls) return { ...rest, DOCKER_HOST: ep.host };
  return { ...rest, DOCKER_HOST: ep.host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dirname(ep.tls.ca) };
}

/**
 * docker-modem fills every option it is not given from DOCKER_HOST, DOCKER_TLS_VERIFY and
 * DOCKER_CERT_PATH, and a host from there wins over a socketPath: in a shell after `lab env
 * node1` a client "for the host socket" would talk to node1. Every such option is set here,
 * to undefined where the endpoint has none, so the endpoint alone decides.
 */
function client(opts: Docker.DockerOptions): Docker {
  const none = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, ca: undefined, cert: undefined, key: undefined, pathPrefix: undefined, timeout: undefined };
  return new Docker({ ...none, ...opts } as Docker.DockerOptions);
}

/** A dockerode client for an endpoint (no connection is made yet). */
export function clientFor(ep: Endpoint): Docker {
  const url = ep.host;
  if (url.startsWith('unix://')) return client({ socketPath: url.slice('unix://'.length) });
  if (url.startsWith('npipe://')) return client({ socketPath: url.slice('npipe://'.length) });
  const u = new URL(url);
  if (u.protocol === 'ssh:') {
    // the system ssh client, as the docker CLI does: the user's ~/.ssh/config, keys, agent and
    // known_hosts all apply (docker-modem's built-in ssh used the agent only, checked no host key)
    return client({ protocol: 'http', host: u.hostname, agent: sshAgent(url) } as Docker.DockerOptions);
  }
  if (u.protocol === 'tcp:' || u.protocol === 'http:' || u.protocol === 'https:') {
    const port = u.port ? Number(u.port) : ep.tls ? 2376 : 2375;
    if (ep.tls) {
      return client({
        protocol: 'https',
        host: u.hostname,
        port,
        ca: readFileSync(ep.tls.ca),
        cert: readFileSync(ep.tls.cert),
        key: readFileSync(ep.tls.key),
      });
    }
    return client({ protocol: 'http', host: u.hostname, port });
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
  if (ep.host.startsWith('ssh://')) {
    // ssh's own reason (refused key, unknown host key, no route...) and the check a user can run
    const reason = err instanceof Error && err.message ? err.message.split('\n')[0] : code || 'no answer';
    const u = new URL(ep.host);
    const login = `ssh ${u.port ? `-p ${u.port} ` : ''}${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.hostname}`;
    return new UserError(
      `no Docker engine answers over ssh at ${ep.source === ep.host ? ep.host : where}: ${reason}`,
      `check that \`${login} docker version\` works from this shell without a prompt (key in ssh-agent or ~/.ssh, host key in ~/.ssh/known_hosts)`,
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
/**
 * How long to wait for an engine's first answer. Over ssh that is a login (up to ssh's own
 * ConnectTimeout, then the key exchange and `docker system dial-stdio` on the machine): under
 * load, or on a slow network, more than a socket's few seconds (3 s called a loaded machine
 * "unreachable" in test 44). Later requests reuse the connection.
 */
export function answerWithin(ep: Endpoint, ms: number): number {
  return ep.host.startsWith('ssh://') ? Math.max(ms, 12_000) : ms;
}

export async function connect(ep: Endpoint, timeoutMs = 8000): Promise<Engine> {
  const docker = clientFor(ep);
  try {
    await withTimeout(docker.ping(), answerWithin(ep, timeoutMs), 'timed out');
  } catch (err) {
    throw engineError(ep, err);
  }
  return { docker, endpoint: ep };
}

export async function hostEngine(): Promise<Engine> {
  return connect(discoverHostEndpoint());
}
