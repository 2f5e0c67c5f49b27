// What chapter 5's registry (node1:5000) holds, read through its HTTP API from node1: the
// repositories, their tags, and the manifest digest of each `latest`. Later chapters keep the
// promise too: their tasks pull from it, so an empty registry breaks every node that has not
// cached an image yet (LAB-NOTES: the proxy that did not come back).
import type { Lab } from '../../lab/index.js';
import type { Check, CheckResult } from '../types.js';
import { anyConverging } from '../../swarm/index.js';

export const REGISTRY = 'node1:5000';
export const REGISTRY_IMAGES = ['devcoin/miner', 'devcoin/api', 'devcoin/webui', 'devcoin/redis', 'devcoin/proxy'];

const MANIFESTS = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(',');

/** The digest node1:5000 serves for `image:tag`, or undefined when it has none. */
export async function manifestDigest(lab: Lab, image: string, tag = 'latest'): Promise<string | undefined> {
  const r = await lab.exec('node1', `curl -fsI --max-time 3 -H 'Accept: ${MANIFESTS}' http://${REGISTRY}/v2/${image}/manifests/${tag}`);
  if (r.exitCode !== 0) return undefined;
  return /^docker-content-digest:\s*(sha256:[0-9a-f]{64})/im.exec(r.stdout)?.[1];
}

/** Which of the five images lack a `latest` tag in node1:5000 (one line saying why otherwise). */
export async function registryHolds(lab: Lab): Promise<CheckResult> {
  const r = await readRegistry(lab);
  // a registry task being replaced answers again in a moment
  return r.ok ? r : { ...r, converging: await anyConverging(lab, ['registry']) };
}

async function readRegistry(lab: Lab): Promise<CheckResult> {
  // one exec for the catalog and every manifest: verify stays quick
  const heads = REGISTRY_IMAGES.map((i) => `printf '%s ' ${i}; curl -fsI --max-time 3 -H '${'Accept: ' + MANIFESTS}' http://${REGISTRY}/v2/${i}/manifests/latest | grep -i '^docker-content-digest:' || echo none`).join('; ');
  const r = await lab.exec('node1', `curl -fs --max-time 3 http://${REGISTRY}/v2/_catalog || exit 7; echo; ${heads}`);
  if (r.exitCode === 7) return { ok: false, detail: `${REGISTRY} does not answer` };
  if (r.exitCode !== 0) return { ok: false, detail: `could not ask ${REGISTRY}: ${(r.stderr || r.stdout).trim().split('\n')[0]}` };
  const [catalog, ...lines] = r.stdout.split('\n');
  let repos: string[];
  try {
    repos = JSON.parse(catalog).repositories ?? [];
  } catch {
    return { ok: false, detail: `not a catalog: ${catalog.slice(0, 60)}` };
  }
  const missing = REGISTRY_IMAGES.filter((i) => !repos.includes(i));
  if (missing.length) return { ok: false, detail: `missing ${missing.join(', ')} (catalog: ${repos.join(', ') || 'empty'})` };
  const untagged = REGISTRY_IMAGES.filter((i) => !lines.some((l) => l.startsWith(`${i} `) && /docker-content-digest:\s*sha256:[0-9a-f]{64}/i.test(l)));
  if (untagged.length) return { ok: false, detail: `no tag latest for ${untagged.join(', ')}` };
  return { ok: true, detail: `${REGISTRY_IMAGES.length} images tagged latest` };
}

/** Chapter 5's promise, checked again by the chapters that pull from it. */
export function registryKept(): Check {
  return {
    id: 'registry-kept',
    title: `the registry ${REGISTRY} still holds the five DevCoin images (chapter 5)`,
    hint: `\`curl -s http://${REGISTRY}/v2/_catalog\` on node1; a registry without its volume (\`--mount type=volume,source=registry-data,target=/var/lib/registry\`) loses them when its task is replaced`,
    run: registryHolds,
  };
}
