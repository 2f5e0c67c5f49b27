// Node names as people type them on `lab` verbs: a name the lab does not have is one line, exit 2.
import { ExitCode, UserError } from '../../../errors.js';
import type { Lab } from '../../../lab/index.js';

export async function checkNodes(lab: Lab, names: string[]): Promise<void> {
  const known = (await lab.nodes()).map((n) => n.name);
  for (const n of names) {
    if (!known.includes(n)) throw new UserError(`unknown node "${n}"`, `the nodes are ${known.join(', ')}`, ExitCode.usage);
  }
}
