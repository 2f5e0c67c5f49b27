// `lab shell NODE`: an interactive shell inside a node, through the Lab door (the engine API;
// no docker CLI needed on this machine). This terminal is put in raw mode and wired to the
// node's TTY both ways, resized with the window; the shell's exit code is passed through.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { ExitCode, UserError } from '../../../errors.js';
import { openLab } from '../../../lab/index.js';
import { checkNodes } from './nodes.js';
import { labFlag } from '../../parse.js';

async function run(ctx: Context, node: string): Promise<number> {
  const lab = await openLab(ctx.lab);
  await checkNodes(lab, [node]);
  if (!process.stdin.isTTY) throw new UserError('lab shell needs a terminal', `use: devcoin-workshop${labFlag(ctx.lab)} lab exec ${node} -- <command>`, ExitCode.usage);
  const state = (await lab.nodes()).find((n) => n.name === node)?.state;
  if (state !== 'running') throw new UserError(`${node} is ${state === 'unreachable' ? 'not answering' : 'stopped'}`, lab.canStopNodes ? `devcoin-workshop${labFlag(ctx.lab)} lab start ${node}` : 'start that machine and its engine');
  const term = await lab.terminal(node, { cols: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 });
  const stdin = process.stdin;
  const onResize = () => void term.resize(process.stdout.columns, process.stdout.rows);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.pipe(term.stream);
  term.stream.pipe(process.stdout, { end: false });
  process.stdout.on('resize', onResize);
  try {
    return await term.exited;
  } finally {
    process.stdout.off('resize', onResize);
    stdin.unpipe(term.stream);
    stdin.setRawMode(false);
    stdin.pause();
  }
}

export function registerLabShell(lab: Command): void {
  lab
    .command('shell')
    .argument('<node>', 'node to open a shell on')
    .description('an interactive shell inside a node (prompt shows node and address)')
    .action(action(run));
}
