// Whether Swarm's routing mesh (ingress publishing and service VIPs) can work on an engine: it
// needs IPVS in the kernel. Without it, published ports and VIPs do not answer and the lab
// must use endpoint_mode dnsrr + publish mode=host.
//
// How: /proc/net/ip_vs exists in every network namespace once the kernel has IPVS (built in or
// module loaded). It is read from a tiny container rather than from this machine's /proc,
// because the kernel that matters is the engine's (Docker Desktop and remote engines run
// another kernel). Host networking makes it the host's own namespace, the one dockerd uses.
// Lab nodes share the host's kernel, so ask the host engine, not a node.
import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { imageExists } from './build.js';
import { runOnce, trialName } from './trial.js';

/** Small images that have a shell, best first. */
const PROBE_IMAGES = ['devcoin/busybox:latest', 'devcoin/base:trixie', 'devcoin/node:latest'];

export interface RoutingMeshProbe {
  available: boolean;
  /** how it was found out */
  how: string;
}

const cache = new WeakMap<Docker, Promise<RoutingMeshProbe>>();

export async function probeRoutingMesh(docker: Docker, opts: { localFallback?: boolean } = {}): Promise<RoutingMeshProbe> {
  for (const image of PROBE_IMAGES) {
    if (!(await imageExists(docker, image))) continue;
    const r = await runOnce(docker, {
      image,
      name: trialName('devcoin-ipvs-probe'),
      cmd: ['/bin/sh', '-c', 'if [ -e /proc/net/ip_vs ]; then echo yes; else echo no; fi'],
      hostConfig: { NetworkMode: 'host', AutoRemove: false },
      timeoutMs: 20_000,
    });
    const answer = r.stdout.trim();
    if (answer === 'yes' || answer === 'no') return { available: answer === 'yes', how: `/proc/net/ip_vs seen from a ${image} container` };
  }
  // no probe image yet: the local kernel is the engine's only when the engine is local
  if (opts.localFallback) return { available: existsSync('/proc/net/ip_vs'), how: '/proc/net/ip_vs on this machine' };
  return { available: false, how: 'no image to probe with (assumed missing)' };
}

/**
 * true when the routing mesh works on this engine (VIPs, ingress publishing); false means
 * use endpoint_mode dnsrr and publish mode=host. Asked once per engine client.
 */
export function routingMeshAvailable(docker: Docker): Promise<boolean> {
  let p = cache.get(docker);
  if (!p) {
    p = probeRoutingMesh(docker);
    cache.set(docker, p);
    // a failed probe is not remembered: the next call tries again
    p.catch(() => cache.delete(docker));
  }
  return p.then((r) => r.available);
}
