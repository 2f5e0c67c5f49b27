// Names and addresses of a lab's parts; the labels they carry are named in src/labels.ts.
// Everything a lab creates carries LABELS.lab.
import { LABELS } from '../labels.js';

/**
 * Host ports (127.0.0.1) of a node's ports 80 and 8080, where the chapters serve the web UI:
 * the way in from this machine's browser where container addresses are not routed (Docker
 * Desktop, WSL); see docs/decisions.md.
 */
export const WEB_PORT_LABELS = { 80: LABELS.web80, 8080: LABELS.web8080 } as const;
export type WebPort = keyof typeof WEB_PORT_LABELS;
export const WEB_PORTS = [80, 8080] as const;
// LABELS.labVersion: bumped when a lab made by an older version can no longer be driven by this one
// 2: the hub is read-only, seeded through a separate writable registry no node reaches
// 3: each node publishes its ports 80 and 8080 on 127.0.0.1 of the host as well (WEB_PORT_LABELS)
export const LAB_VERSION = '3';

export const networkName = (lab: string) => `devcoin-${lab}`;
export const containerName = (lab: string, part: string) => `${lab}-${part}`;
export const volumeName = (lab: string, part: string) => `${lab}-${part}-data`;

export function labLabels(lab: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABELS.lab]: lab, [LABELS.labVersion]: LAB_VERSION, ...extra };
}

export interface PlannedNode {
  name: string;
  role: 'manager' | 'worker';
  address: string;
}

/** node1..nodeM are managers, the rest workers; addresses .11, .12, ... of the lab subnet. */
export function planNodes(prefix: string, managers: number, workers: number): PlannedNode[] {
  return Array.from({ length: managers + workers }, (_, i) => ({
    name: `node${i + 1}`,
    role: i < managers ? 'manager' : 'worker',
    address: `${prefix}.${11 + i}`,
  }));
}

export const hubAddress = (prefix: string) => `${prefix}.5`;

/** First free /24 in 10.213.0.0/16 that overlaps none of the engine's networks. */
export function chooseSubnet(used: string[]): string {
  const taken = new Set(
    used.map((s) => s.split('/')[0].split('.').slice(0, 3).join('.')).filter((p) => p.startsWith('10.213.')),
  );
  const wide = used.some((s) => /^10\.(0\.0\.0\/8|213\.0\.0\/16)$/.test(s));
  if (wide) throw new Error('10.213.0.0/16 is in use by another network');
  for (let i = 1; i < 255; i++) {
    const p = `10.213.${i}`;
    if (!taken.has(p)) return `${p}.0/24`;
  }
  throw new Error('no free subnet left in 10.213.0.0/16');
}

export const prefixOf = (subnet: string) => subnet.split('/')[0].split('.').slice(0, 3).join('.');
