// Generic container, network, volume and image-push operations on an engine, keyed by labels.
// The lab (src/lab) describes what it wants; this file knows how the engine API says it.
import type Docker from 'dockerode';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { LABELS } from '../labels.js';

export type Labels = Record<string, string>;

export function labelFilter(labels: Labels): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

export async function containersWith(docker: Docker, labels: Labels): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
}

export async function networksWith(docker: Docker, labels: Labels): Promise<Docker.NetworkInspectInfo[]> {
  return docker.listNetworks({ filters: { label: labelFilter(labels) } });
}

export async function volumesWith(docker: Docker, labels: Labels): Promise<Docker.VolumeInspectInfo[]> {
  const r = await docker.listVolumes({ filters: { label: labelFilter(labels) } });
  return r.Volumes ?? [];
}

/** Every IPv4 subnet the engine's networks already use (to choose one that does not clash). */
export async function usedSubnets(docker: Docker): Promise<string[]> {
  const nets = await docker.listNetworks();
  return nets.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s));
}

/**
 * Creates the volume, or keeps it when it already carries all of `labels` (ours, from an earlier
 * run). A volume of that name made by anything else is someone's data: refused, never taken over.
 */
export async function ensureVolume(docker: Docker, name: string, labels: Labels): Promise<void> {
  let existing: Docker.VolumeInspectInfo;
  try {
    existing = await docker.getVolume(name).inspect();
  } catch (err) {
    if ((err as { statusCode?: number })?.statusCode !== 404) throw err;
    await docker.createVolume({ Name: name, Labels: labels });
    return;
  }
  const have = existing.Labels ?? {};
  if (Object.entries(labels).every(([k, v]) => have[k] === v)) return;
  const lab = labels[LABELS.lab];
  const flag = lab && lab !== 'devcoin' ? ` --lab ${lab}` : '';
  if (lab && have[LABELS.lab] === lab) {
    throw new UserError(
      `volume ${name} of lab ${lab} was made by another version of devcoin-workshop or for another part`,
      `remove the lab with \`devcoin-workshop lab down${flag}\` and run \`lab up\` again`,
    );
  }
  throw new UserError(
    `volume ${name} already exists and was not made by ${lab ? `lab ${lab}` : 'this tool'}`,
    `remove or rename it (\`docker volume rm ${name}\` deletes its data), or use another --lab name`,
  );
}

/** Removes exactly the containers, volumes and networks that carry all of `labels`. */
export async function removeLabelled(docker: Docker, labels: Labels): Promise<{ containers: number; volumes: number; networks: number }> {
  const cs = await containersWith(docker, labels);
  await Promise.all(cs.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreMissing)));
  const vs = await volumesWith(docker, labels);
  for (const v of vs) await docker.getVolume(v.Name).remove().catch(ignoreMissing);
  const ns = await networksWith(docker, labels);
  for (const n of ns) await docker.getNetwork(n.Id).remove().catch(ignoreMissing);
  return { containers: cs.length, volumes: vs.length, networks: ns.length };
}

function ignoreMissing(err: { statusCode?: number }) {
  if (err?.statusCode !== 404) throw err;
}

/** The last lines a container logged (for "did not come up" messages). */
export async function logTail(docker: Docker, id: string, lines = 10): Promise<string> {
  try {
    const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    // strip the 8-byte multiplexing headers of non-TTY logs
    const out: string[] = [];
    let i = 0;
    while (i + 8 <= buf.length) {
      const size = buf.readUInt32BE(i + 4);
      out.push(buf.subarray(i + 8, i + 8 + size).toString('utf8'));
      i += 8 + size;
    }
    return out.join('').trimEnd();
  } catch {
    return '';
  }
}

/**
 * The kernel's range for the source ports of outgoing connections. A port chosen inside it can be
 * taken by any connection this machine opens before the engine binds it (the lab's own seeding
 * connects to 127.0.0.1 while its nodes are created: CI saw "port … is taken" that way).
 */
export function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    /* not Linux: macOS and Windows use 49152 and up, within the default below */
  }
  return [32768, 65535];
}

/** Ports this process already handed out: two parts of one lab up never get the same one. */
const handedOut = new Set<number>();

/**
 * A port nothing listens on, on 127.0.0.1, below the ephemeral range (so no outgoing connection
 * takes it meanwhile) and not in `avoid` (ports that stopped labs keep in their labels).
 */
export async function freePort(avoid: Iterable<number> = []): Promise<number> {
  const skip = new Set([...avoid, ...handedOut]);
  const [low] = ephemeralRange();
  const from = 15_000;
  const to = low - 1;
  if (to - from >= 1000) {
    // from a random place in the range onwards (wrapping), so that labs made at once rarely meet
    const size = to - from + 1;
    const start = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i++) {
      const port = from + ((start + i) % size);
      if (skip.has(port) || (await portTaken(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  // a machine whose ephemeral range starts low: let the kernel choose, as before
  const port = await kernelPort();
  handedOut.add(port);
  return port;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now, as the kernel chooses it. */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether something already listens on 127.0.0.1:port. */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

/** Tags `image` as `ref`, pushes it, and removes the temporary tag again. */
export async function pushAs(docker: Docker, image: string, ref: string): Promise<void> {
  const [repo, tag] = splitRef(ref);
  await docker.getImage(image).tag({ repo, tag });
  try {
    // the engine wants an X-Registry-Auth header even for a registry without auth
    const stream = (await docker.getImage(ref).push({ authconfig: {} } as never)) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
        const failed = events?.find((e) => e.error);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.error));
        else resolve();
      });
    });
  } finally {
    await docker.getImage(ref).remove({ noprune: true }).catch(() => {});
  }
}

/** `host:5000/a/b:tag` -> [`host:5000/a/b`, `tag`] (the port's colon is not a tag). */
export function splitRef(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, 'latest'];
}
