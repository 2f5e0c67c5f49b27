// Which form a lab's chapters take: with Swarm's routing mesh (VIPs, ingress ports) where the
// lab's machines have IPVS, without it (DNS round robin, host ports) elsewhere. Asked of the lab
// once (a container run) and remembered beside its progress; `lab down` forgets it.
import { readFileSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { labDir, routingFile } from '../paths.js';
import { openLab, type Lab } from '../lab/index.js';
import type { RoutingForm } from './markdown.js';

export async function routingFormOf(labName: string, lab?: Lab): Promise<RoutingForm> {
  const file = routingFile(labName);
  try {
    const form = (JSON.parse(readFileSync(file, 'utf8')) as { form?: string }).form;
    if (form === 'mesh' || form === 'dnsrr') return form;
  } catch {
    /* not asked yet */
  }
  // no lab yet, or it cannot be asked now: the form that works everywhere, not remembered
  let mesh: boolean;
  try {
    mesh = await (lab ?? (await openLab(labName))).routingMesh();
  } catch {
    return 'dnsrr';
  }
  const form: RoutingForm = mesh ? 'mesh' : 'dnsrr';
  mkdirSync(labDir(labName), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify({ form }) + '\n', { mode: 0o600 });
  renameSync(`${file}.${process.pid}.tmp`, file);
  return form;
}
