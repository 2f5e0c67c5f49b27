// A connected lab's record: which machine is which node, how to reach its engine, and what it
// held before it was connected (labs/<lab>/remote.json). Parsing what `lab connect` is given.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contextEndpoint, type Endpoint, type TlsFiles } from '../../docker/engine.js';
import { labDir } from '../../paths.js';
import { ExitCode, UserError } from '../../errors.js';
import type { Inventory } from './inventory.js';

const SPEC_FILE = 'remote.json';
/** Where the stack sources live on each machine: the path the chapters type. */
export const WORKSHOP = '/workshop';

export interface RemoteNode {
  name: string;
  role: 'manager' | 'worker';
  endpoint: Endpoint;
  /** the machine's own address (`hostname -i` in its shell), what --advertise-addr uses */
  address: string;
  /** what the machine held before it was connected: the user's, never removed without asking */
  before?: Inventory;
}

export interface RemoteSpec {
  version: 1;
  nodes: RemoteNode[];
}

export const shellName = (lab: string) => `devcoin-${lab}-shell`;
const specPath = (lab: string) => join(labDir(lab), SPEC_FILE);

export function isRemoteLab(lab: string): boolean {
  return existsSync(specPath(lab));
}

export function readSpec(lab: string): RemoteSpec {
  try {
    const spec = JSON.parse(readFileSync(specPath(lab), 'utf8')) as RemoteSpec;
    if (spec.version !== 1 || !Array.isArray(spec.nodes)) throw new Error('unknown format');
    return spec;
  } catch (err) {
    throw new UserError(`the connection file of lab ${lab} (${specPath(lab)}) is damaged: ${(err as Error).message}`, `connect again: devcoin-workshop --lab ${lab} lab connect node1=... (it replaces the file)`);
  }
}

/** `node1=ENDPOINT`: a context name, ssh://..., tcp://... (TLS files from `tls`), or unix://... */
export function parseEndpoint(text: string, tls?: TlsFiles): Endpoint {
  if (/^(ssh|unix):\/\//.test(text)) return { host: text, source: text };
  if (/^tcp:\/\//.test(text)) return { host: text, tls, source: text };
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/.test(text)) {
    const ep = contextEndpoint(text);
    if (!ep) throw new UserError(`no docker context named "${text}"`, 'see `docker context ls`, or give ssh://user@host or tcp://host:2376', ExitCode.usage);
    return ep;
  }
  throw new UserError(`"${text}" is not an engine address`, 'use a docker context name, ssh://user@host or tcp://host:2376', ExitCode.usage);
}

export function parseNodeArgs(args: string[]): { name: string; endpoint: string }[] {
  const seen = new Set<string>();
  return args.map((a) => {
    const m = /^(node[1-9][0-9]?)=(.+)$/.exec(a);
    if (!m) throw new UserError(`"${a}" is not NODE=ENDPOINT`, 'e.g. node1=ssh://me@10.0.0.5 node2=tcp://10.0.0.6:2376 node3=mycontext', ExitCode.usage);
    if (seen.has(m[1])) throw new UserError(`${m[1]} is given twice`, 'name each machine once', ExitCode.usage);
    seen.add(m[1]);
    return { name: m[1], endpoint: m[2] };
  });
}


export function writeSpec(lab: string, nodes: RemoteNode[]): void {
  mkdirSync(labDir(lab), { recursive: true });
  writeFileSync(specPath(lab), JSON.stringify({ version: 1, nodes } satisfies RemoteSpec, null, 2) + '\n', { mode: 0o600 });
}

export function removeSpec(lab: string): void {
  rmSync(specPath(lab), { force: true });
}
