// The one door to a lab for the rest of the CLI.
import { UserError } from '../errors.js';
import { findDindLab } from './dind/provision.js';
import { isRemoteLab, RemoteLab } from './remote/connect.js';
import { checkClientTls } from './dind/certs.js';
import type { Lab } from './types.js';

export type { Lab, LabNode, CatchUpTouch } from './types.js';
export { ALL_TOUCHES } from './types.js';
export { labUp, labDown } from './dind/provision.js';
export { connectLab, disconnectLab, isRemoteLab } from './remote/connect.js';

export async function openLab(name: string): Promise<Lab> {
  // a lab connected to existing engines is known by its connection file
  if (isRemoteLab(name)) return new RemoteLab(name);
  const lab = await findDindLab(name);
  if (!lab) {
    const flag = name === 'devcoin' ? '' : ` --lab ${name}`;
    throw new UserError(`lab ${name} is not up`, `run \`devcoin-workshop${flag} lab up\``);
  }
  checkClientTls(name);
  return lab;
}
