// The hub: the lab's offline stand-in for Docker Hub. A registry on the lab network that every
// node uses as its registry mirror, seeded from the host's images under the names a Docker
// workshop uses, so `docker pull busybox` inside a node works with no internet.
import type Docker from 'dockerode';
import { IMAGES } from '../../images/catalog.js';
import { imageId } from '../../docker/build.js';
import { pushAs } from '../../docker/containers.js';
import { until } from '../../retry.js';

/** host image -> names served by the hub (Docker Hub style: library/ for official images). */
export const HUB_CONTENT: [string, string[]][] = [
  [IMAGES.busybox, ['library/busybox:latest']],
  [IMAGES.registry, ['library/registry:2', 'library/registry:latest']],
  [IMAGES.redis, ['library/redis:latest', 'devcoin/redis:latest']],
  [IMAGES.proxy, ['library/haproxy:latest', 'devcoin/proxy:latest']],
  [IMAGES.runtime, ['devcoin/runtime:latest']],
  // the observe chapter's monitoring, under the names of the upstream images
  [IMAGES.prometheus, ['prom/prometheus:latest']],
  [IMAGES.nodeExporter, ['prom/node-exporter:latest']],
  [IMAGES.miner, ['devcoin/miner:latest']],
  [IMAGES.api, ['devcoin/api:latest']],
  [IMAGES.webui, ['devcoin/webui:latest']],
];

const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * fetch with a time limit on a timer that keeps Node running. AbortSignal.timeout's timer is
 * unref'd: while a just-started registry's port accepts and holds a connection (docker-proxy),
 * nothing else kept the event loop alive and `lab up` ended with Node's exit 13, silently.
 */
async function fetchWithin(url: string, ms: number, init: RequestInit = {}): Promise<Response> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer from ${url} within ${ms} ms`)), ms);
  try {
    return await fetch(url, { ...init, signal: ac.signal });
  } finally {
    clearTimeout(timer);
  }
}

/** The image ID the hub holds under repo:tag (a v2 manifest's config digest), or undefined. */
async function hubImageId(port: number, name: string): Promise<string | undefined> {
  const [repo, tag] = name.split(':');
  try {
    const res = await fetchWithin(`http://127.0.0.1:${port}/v2/${repo}/manifests/${tag}`, 5000, { headers: { Accept: MANIFEST_V2 } });
    if (!res.ok) return undefined;
    const m = (await res.json()) as { config?: { digest?: string } };
    return m.config?.digest;
  } catch {
    return undefined;
  }
}

export async function waitForHub(port: number, timeoutMs = 30_000): Promise<void> {
  const up = await until(async () => (await fetchWithin(`http://127.0.0.1:${port}/v2/`, 2000)).ok, timeoutMs, 300);
  if (!up) throw new Error(`the lab's hub (registry) did not answer on 127.0.0.1:${port}`);
}

export interface SeedResult {
  pushed: string[];
  current: string[];
  missing: string[];
}

/** Pushes what the hub lacks or holds in an older version; skips what is current. */
/**
 * `askHub`: compare manifests with the hub first (it answers on this machine's 127.0.0.1). On
 * another engine the seeder is on that machine's loopback, out of reach from here: every name is
 * pushed (layers the shared storage holds are not sent again), the first push retried while the
 * seeder starts.
 */
export async function seedHub(docker: Docker, port: number, progress: (t: string) => void = () => {}, opts: { askHub?: boolean } = {}): Promise<SeedResult> {
  const askHub = opts.askHub ?? true;
  const result: SeedResult = { pushed: [], current: [], missing: [] };
  let first = true;
  for (const [image, names] of HUB_CONTENT) {
    const id = await imageId(docker, image);
    if (!id) {
      result.missing.push(image);
      continue;
    }
    for (const name of names) {
      if (askHub && (await hubImageId(port, name)) === id) {
        result.current.push(name);
        continue;
      }
      progress(`pushing ${name}`);
      if (first && !askHub) {
        let last: unknown;
        const pushed = await until(() => pushAs(docker, image, `127.0.0.1:${port}/${name}`).then(() => true, (err) => ((last = err), false)), 30_000, 1000);
        if (!pushed) throw last;
      } else await pushAs(docker, image, `127.0.0.1:${port}/${name}`);
      first = false;
      result.pushed.push(name);
    }
  }
  return result;
}
