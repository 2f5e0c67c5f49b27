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
// (a connected machine has the shell image `lab connect` left there)
const PROBE_IMAGES = ['devcoin/busybox:latest', 'devcoin/base:trixie', 'devcoin/node:latest', 'devcoin/shell:latest'];

export interface RoutingMeshProbe {
  available: boolean;
  /** false when IPVS is a module the kernel has not loaded yet (it loads it when Swarm asks) */
  loaded: boolean;
  /** how it was found out */
  how: string;
}

/**
 * yes: /proc/net/ip_vs is there (IPVS built in or loaded). module: not loaded yet, but the
 * kernel has it as a module and may load modules: Swarm's first question to the IPVS netlink
 * family loads it (ip_vs declares that family as its alias), as on a freshly booted Ubuntu,
 * Fedora or Debian host, where /proc/net/ip_vs alone said "missing" (seen in the VM lane).
 * /lib/modules of the engine's machine is mounted read-only when it exists.
 */
const PROBE =
  'if [ -e /proc/net/ip_vs ]; then echo yes; ' +
  'elif [ "$(cat /proc/sys/kernel/modules_disabled 2>/dev/null)" != 1 ] && ' +
  'grep -qs "/ip_vs\\.ko" "/lib/modules/$(uname -r)/modules.builtin" "/lib/modules/$(uname -r)/modules.dep"; then echo module; ' +
  'else echo no; fi';

const cache = new WeakMap<Docker, Promise<RoutingMeshProbe>>();

export async function probeRoutingMesh(docker: Docker, opts: { localFallback?: boolean } = {}): Promise<RoutingMeshProbe> {
  for (const image of PROBE_IMAGES) {
    if (!(await imageExists(docker, image))) continue;
    const modules: Docker.MountSettings = { Type: 'bind', Source: '/lib/modules', Target: '/lib/modules', ReadOnly: true };
    const probe = (mounts: Docker.MountSettings[]) =>
      runOnce(docker, {
        image,
        name: trialName('devcoin-ipvs-probe'),
        cmd: ['/bin/sh', '-c', PROBE],
        hostConfig: { NetworkMode: 'host', AutoRemove: false, Mounts: mounts },
        timeoutMs: 20_000,
      });
    // an engine whose machine has no /lib/modules refuses the bind: ask without it
    const r = await probe([modules]).catch(() => probe([]));
    const answer = r.stdout.trim();
    if (answer === 'yes') return { available: true, loaded: true, how: `/proc/net/ip_vs seen from a ${image} container` };
    if (answer === 'module') return { available: true, loaded: false, how: `ip_vs in the kernel's modules (/lib/modules), seen from a ${image} container` };
    if (answer === 'no') return { available: false, loaded: false, how: `neither /proc/net/ip_vs nor an ip_vs module, seen from a ${image} container` };
  }
  // no probe image yet: the local kernel is the engine's only when the engine is local
  if (opts.localFallback) {
    const loaded = existsSync('/proc/net/ip_vs');
    return { available: loaded, loaded, how: '/proc/net/ip_vs on this machine' };
  }
  return { available: false, loaded: false, how: 'no image to probe with (assumed missing)' };
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
