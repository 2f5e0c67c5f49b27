// `lab up`: start the lab (hub + nodes), creating or starting only what is missing.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { ExitCode, UserError } from '../../../errors.js';
import { engineEndpoint, isConnected, labUp, withLabLock } from '../../../lab/index.js';
import { formSwarm } from '../../../swarm/index.js';
import { task } from '../../../events.js';
import { count, limitOptions, limits } from '../../parse.js';

interface UpFlags {
  managers: string;
  workers: string;
  swarm?: boolean;
  engine?: string;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  nodeMemory?: string;
  nodePids?: string;
  labCpus?: string;
}

async function run(ctx: Context, opts: UpFlags): Promise<void> {
  if (isConnected(ctx.lab)) {
    throw new UserError(`lab ${ctx.lab} is connected to existing machines`, `use it as it is, or \`devcoin-workshop --lab ${ctx.lab} lab down\` to disconnect first`);
  }
  const managers = count(opts.managers, 'managers');
  const workers = count(opts.workers, 'workers');
  if (managers < 1) throw new UserError('a swarm needs at least one manager', 'use --managers 1, 3 or 5', ExitCode.usage);
  if (managers % 2 === 0) {
    ctx.out.warn(`${managers} managers tolerate no more failures than ${managers - 1}: a quorum needs ${managers / 2 + 1} of ${managers}; an odd number is better`);
  }
  const given = [opts.tlscacert, opts.tlscert, opts.tlskey].filter(Boolean).length;
  if (given !== 0 && given !== 3) throw new UserError('TLS needs all three of --tlscacert, --tlscert and --tlskey', 'give all three, or none for ssh:// and contexts', ExitCode.usage);
  const lim = limits(opts);
  const engine = opts.engine ? engineEndpoint(opts.engine, given ? { ca: opts.tlscacert!, cert: opts.tlscert!, key: opts.tlskey! } : undefined) : undefined;
  const { lab, result } = await withLabLock(ctx.lab, 'lab up', () =>
    task(ctx.face, `lab ${ctx.lab} up`, (update) => labUp(ctx.lab, { managers, workers, progress: update, engine, limits: lim })),
  );
  if (opts.swarm) await task(ctx.face, 'swarm', (update) => formSwarm(lab, update));
  const changed = result.created.length + result.started.length + result.seed.pushed.length;
  ctx.out.data({ lab: ctx.lab, ...result, swarm: !!opts.swarm });
  if (!changed) ctx.out.line(`lab ${ctx.lab} is already up; nothing changed`);
  else {
    if (result.created.length) ctx.out.line(`created: ${result.created.join(', ')}`);
    if (result.started.length) ctx.out.line(`started: ${result.started.join(', ')}`);
    if (result.seed.pushed.length) ctx.out.line(`hub seeded: ${result.seed.pushed.join(', ')}`);
  }
  if (result.seed.missing.length) ctx.out.info(`not in the hub (not built yet): ${result.seed.missing.join(', ')}`);
  if (!ctx.json) ctx.out.line(ctx.out.c.dim(`next: devcoin-workshop lab ls, or devcoin-workshop lab shell node1`));
}

export function registerLabUp(lab: Command): void {
  const up = lab.command('up');
  limitOptions(up, 'default: no limit, for one person on their own machine; a new lab only');
  up
    .description('start the lab (hub + nodes); does not form the swarm unless --swarm')
    .option('--managers <n>', 'nodes planned as managers (a new lab only)', '3')
    .option('--workers <n>', 'nodes planned as workers (a new lab only)', '2')
    .option('--swarm', 'also form the swarm (what chapter 2 teaches), for catching up')
    .option('--engine <endpoint>', "run the lab on another machine's engine (a docker context, ssh://user@host or tcp://host:2376); the images are copied there")
    .option('--tlscacert <file>', 'CA of a tcp:// engine')
    .option('--tlscert <file>', 'client certificate for a tcp:// engine')
    .option('--tlskey <file>', 'client key for a tcp:// engine')
    .action(action(run));
}
