// `lab env NODE`: the exports that point this machine's docker CLI at a node's engine.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { openLab } from '../../../lab/index.js';
import { checkNodes } from './nodes.js';
import { labFlag } from '../../parse.js';

async function run(ctx: Context, node: string): Promise<void> {
  const lab = await openLab(ctx.lab);
  await checkNodes(lab, [node]);
  const vars = await lab.dockerEnv(node);
  if (ctx.json) return ctx.out.data(vars);
  for (const [k, v] of Object.entries(vars)) process.stdout.write(`export ${k}=${v}\n`);
  process.stdout.write(`# run: eval "$(devcoin-workshop${labFlag(ctx.lab)} lab env ${node})"\n`);
}

export function registerLabEnv(lab: Command): void {
  lab
    .command('env')
    .argument('<node>', 'node whose engine the host docker CLI should use')
    .description('print the exports that point the docker CLI at a node: eval "$(devcoin-workshop lab env node1)"')
    .action(action(run));
}
