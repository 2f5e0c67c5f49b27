// `lab exec NODE -- CMD`: run a command on a node; its exit code is passed through.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { openLab } from '../../../lab/index.js';
import { checkNodes } from './nodes.js';

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

async function run(ctx: Context, node: string, command: string[]): Promise<number> {
  const lab = await openLab(ctx.lab);
  await checkNodes(lab, [node]);
  const r = await lab.exec(node, command.map(quote).join(' '), {
    onStdout: (b) => !ctx.json && process.stdout.write(b),
    onStderr: (b) => process.stderr.write(b),
  });
  ctx.out.data({ node, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
  return r.exitCode;
}

export function registerLabExec(lab: Command): void {
  lab
    .command('exec')
    .argument('<node>', 'node to run on')
    .argument('<command...>', 'the command (put it after --)')
    .description('run a command on a node; its exit code is passed through')
    .action(action(run));
}
