// `lab ...`: the multi-node Swarm lab. One file per verb; the work is behind the Lab door (src/lab).
import type { Command } from 'commander';
import { registerLabUp } from './up.js';
import { registerLabLs } from './ls.js';
import { registerLabPower } from './power.js';
import { registerLabShell } from './shell.js';
import { registerLabExec } from './exec.js';
import { registerLabEnv } from './env.js';
import { registerLabConnect } from './connect.js';
import { registerLabDown } from './down.js';

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('the multi-node Swarm lab: Docker engines in containers on this machine')
    .addHelpText('after', '\nExamples:\n  devcoin-workshop lab up\n  devcoin-workshop lab shell node1\n  eval "$(devcoin-workshop lab env node1)" && docker node ls');
  registerLabUp(lab);
  registerLabLs(lab);
  registerLabPower(lab);
  registerLabShell(lab);
  registerLabExec(lab);
  registerLabEnv(lab);
  registerLabConnect(lab);
  registerLabDown(lab);
}
