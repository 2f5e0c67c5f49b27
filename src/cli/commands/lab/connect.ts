// `lab connect node1=ENDPOINT ...`: existing Docker engines (other machines) as the lab.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { ExitCode, UserError } from '../../../errors.js';
import { builtInLabExists, connectLab, withLabLock } from '../../../lab/index.js';
import { task } from '../../../events.js';
import { count } from '../../parse.js';

interface ConnectFlags {
  managers: string;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

async function run(ctx: Context, args: string[], opts: ConnectFlags): Promise<void> {
  const managers = count(opts.managers, 'managers');
  const given = [opts.tlscacert, opts.tlscert, opts.tlskey].filter(Boolean).length;
  if (given !== 0 && given !== 3) throw new UserError('TLS needs all three of --tlscacert, --tlscert and --tlskey', 'give all three, or none for ssh:// and contexts', ExitCode.usage);
  const tls = given === 3 ? { ca: opts.tlscacert!, cert: opts.tlscert!, key: opts.tlskey! } : undefined;
  if (await builtInLabExists(ctx.lab).catch(() => false)) {
    throw new UserError(`lab ${ctx.lab} is a built-in lab on this machine`, 'connect under another name: devcoin-workshop --lab <name> lab connect ...');
  }
  const nodes = await withLabLock(ctx.lab, 'lab connect', () =>
    task(ctx.face, `connect lab ${ctx.lab}`, (update) => connectLab(ctx.lab, args, { managers, tls, progress: update })),
  );
  ctx.out.data({ lab: ctx.lab, nodes: nodes.map((n) => ({ name: n.name, role: n.role, address: n.address, endpoint: n.endpoint.source })) });
  ctx.out.table(['NODE', 'ADDRESS', 'PLANNED', 'ENDPOINT'], nodes.map((n) => [n.name, n.address, n.role, n.endpoint.source]));
  if (!ctx.json) ctx.out.line(ctx.out.c.dim(`next: devcoin-workshop --lab ${ctx.lab} lab ls, then devcoin-workshop --lab ${ctx.lab} goto compose`));
}

export function registerLabConnect(lab: Command): void {
  lab
    .command('connect')
    .argument('<node=endpoint...>', 'each machine as nodeN=ENDPOINT: a docker context name, ssh://user@host or tcp://host:2376')
    .description('use existing Docker engines (other machines) as the lab instead of engines in containers')
    .option('--managers <n>', 'how many of the nodes (node1 upwards) the chapters make managers', '3')
    .option('--tlscacert <file>', 'CA of tcp:// engines (as for the docker CLI)')
    .option('--tlscert <file>', 'client certificate for tcp:// engines')
    .option('--tlskey <file>', 'client key for tcp:// engines')
    .addHelpText('after', '\nExample:\n  devcoin-workshop --lab room lab connect node1=ssh://me@10.0.0.11 node2=ssh://me@10.0.0.12 node3=ssh://me@10.0.0.13 node4=box4 node5=box5\n\nThe machines must reach each other by these names (node1..node5), e.g. through /etc/hosts.\nThe CLI keeps one shell container per machine and the stack sources at /workshop there;\n`lab down` removes the shell containers; /workshop stays (remove it on each machine yourself). It never stops a machine: chapters that stop nodes ask you to.')
    .action(action(run));
}
