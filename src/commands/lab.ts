// `lab ...`: the five-node lab. Thin: the work is in src/lab.
import { Command, Option } from 'commander';
import { execa } from 'execa';
import { action, type Context } from './context.js';
import { ExitCode, UserError } from '../errors.js';
import { labUp, labDown, formSwarm, openLab, connectLab, disconnectLab, isRemoteLab } from '../lab/index.js';
import type { RemoteLab } from '../lab/remote.js';
import { withLabLock } from '../lab/lock.js';
import { clientTls } from '../lab/certs.js';
import { containerName } from '../lab/names.js';
import { dirname } from 'node:path';
import { discoverHostEndpoint, dockerCliEnv } from '../docker/engine.js';
import type { Lab } from '../lab/types.js';
import { webUrlOf } from '../lab/web.js';

function count(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 9) {
    throw new UserError(`--${what} must be a whole number from 0 to 9`, `e.g. --${what} 3`, ExitCode.usage);
  }
  return n;
}

async function up(ctx: Context, opts: { managers: string; workers: string; swarm?: boolean }) {
  if (isRemoteLab(ctx.lab)) {
    throw new UserError(`lab ${ctx.lab} is connected to existing machines`, `use it as it is, or \`devcoin-workshop --lab ${ctx.lab} lab down\` to disconnect first`);
  }
  const managers = count(opts.managers, 'managers');
  const workers = count(opts.workers, 'workers');
  if (managers < 1) throw new UserError('a swarm needs at least one manager', 'use --managers 1, 3 or 5', ExitCode.usage);
  if (managers % 2 === 0) {
    ctx.out.warn(
      `${managers} managers tolerate no more failures than ${managers - 1}: a quorum needs ${managers / 2 + 1} of ${managers}; an odd number is better`,
    );
  }
  const { lab, result } = await withLabLock(ctx.lab, 'lab up', () =>
    ctx.out.step(`lab ${ctx.lab} up`, (update) => labUp(ctx.lab, { managers, workers, progress: update })),
  );
  if (opts.swarm) await ctx.out.step('swarm', (update) => formSwarm(lab, update));
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

async function ls(ctx: Context) {
  const lab = await openLab(ctx.lab);
  const nodes = await lab.nodes();
  const rows = await Promise.all(
    nodes.map(async (n) => {
      let engine = '';
      let swarm = '';
      if (n.state === 'running') {
        try {
          const info = (await Promise.race([
            (await lab.engine(n.name)).info(),
            new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 4000)),
          ])) as { ServerVersion: string; Swarm: { LocalNodeState: string; ControlAvailable: boolean } };
          engine = info.ServerVersion;
          swarm = info.Swarm.LocalNodeState === 'active' ? (info.Swarm.ControlAvailable ? 'manager' : 'worker') : info.Swarm.LocalNodeState;
        } catch {
          engine = 'not answering';
        }
      }
      return { ...n, engine, swarm };
    }),
  );
  // the web UI as this machine's browser opens it: node1's port 80 (compose, chapters 7-8), 8080 in chapter 6
  const webUi = webUrlOf(rows, 80) ?? null;
  const webUi8080 = webUrlOf(rows, 8080) ?? null;
  ctx.out.data({ lab: ctx.lab, nodes: rows, webUi, webUi8080 });
  ctx.out.table(
    ['NODE', 'ADDRESS', 'PLANNED', 'SWARM', 'STATE', 'ENGINE', 'TLS PORT'],
    rows.map((r) => [r.name, r.address, r.plannedRole, r.swarm || '-', r.state, r.engine || '-', String(r.port ?? '')]),
  );
  if (webUi) {
    ctx.out.line();
    ctx.out.line(`web UI: ${webUi} (node1's port 80: chapters 1 and 7-10)${webUi8080 ? `; ${webUi8080} (node1's port 8080: chapter 6)` : ''}`);
  }
}

async function checkNodes(lab: Lab, names: string[]): Promise<void> {
  const known = (await lab.nodes()).map((n) => n.name);
  for (const n of names) {
    if (!known.includes(n)) throw new UserError(`unknown node "${n}"`, `the nodes are ${known.join(', ')}`, ExitCode.usage);
  }
}

function nodeAction(verb: 'stop' | 'start' | 'kill') {
  return action(async (ctx, names: string[]) => {
    const lab = await openLab(ctx.lab);
    await checkNodes(lab, names);
    if (!lab.canStopNodes) throw new UserError(`the nodes of lab ${ctx.lab} are real machines`, `${verb} them yourself`);
    await ctx.out.step(`${verb} ${names.join(' ')}`, async () => {
      if (verb === 'kill') await (lab as Lab & { kill(n: string[]): Promise<void> }).kill(names);
      else await lab[verb](names);
    });
    ctx.out.data({ lab: ctx.lab, [verb]: names });
  });
}

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('the multi-node Swarm lab: Docker engines in containers on this machine')
    .addHelpText('after', '\nExamples:\n  devcoin-workshop lab up\n  devcoin-workshop lab shell node1\n  eval "$(devcoin-workshop lab env node1)" && docker node ls');

  lab
    .command('up')
    .description('start the lab (hub + nodes); does not form the swarm unless --swarm')
    .option('--managers <n>', 'nodes planned as managers (a new lab only)', '3')
    .option('--workers <n>', 'nodes planned as workers (a new lab only)', '2')
    .option('--swarm', 'also form the swarm (what chapter 2 teaches), for catching up')
    .action(action(up));

  lab.command('ls').description('nodes with address, role, state and engine version').action(action(ls));

  lab.command('stop').argument('<node...>', 'nodes to stop').description('stop nodes (their engines shut down cleanly)').action(nodeAction('stop'));
  lab.command('start').argument('<node...>', 'nodes to start').description('start stopped nodes; they keep address, images and swarm role').action(nodeAction('start'));
  lab.command('kill').argument('<node...>', 'nodes to kill').description('kill nodes at once, like pulling the plug').action(nodeAction('kill'));

  lab
    .command('shell')
    .argument('<node>', 'node to open a shell on')
    .description('an interactive shell inside a node (prompt shows node and address)')
    .action(
      action(async (ctx, node: string) => {
        const l = await openLab(ctx.lab);
        await checkNodes(l, [node]);
        if (!process.stdin.isTTY) throw new UserError('lab shell needs a terminal', `use: devcoin-workshop lab exec ${node} -- <command>`, ExitCode.usage);
        const state = (await l.nodes()).find((n) => n.name === node)?.state;
        if (state !== 'running') throw new UserError(`${node} is stopped`, `devcoin-workshop lab start ${node}`);
        const r = (
          l.provider === 'remote'
            ? await (l as RemoteLab).interactiveShell(node)
            : await execa('docker', ['exec', '-it', '-w', '/workshop', containerName(ctx.lab, node), 'bash'], {
                stdio: 'inherit',
                reject: false,
                // the engine that runs the lab, even in a shell whose DOCKER_HOST is a node (lab env)
                env: dockerCliEnv(discoverHostEndpoint()),
                extendEnv: false,
              })
        ) as { exitCode?: number; code?: string; signal?: string; shortMessage?: string };
        if (r.exitCode !== undefined) return r.exitCode;
        // no exit code: the docker CLI did not run at all, or was ended by a signal
        const exec = `devcoin-workshop${ctx.lab === 'devcoin' ? '' : ` --lab ${ctx.lab}`} lab exec ${node} -- <command>`;
        if (r.code === 'ENOENT') {
          throw new UserError('lab shell needs the docker CLI on this machine, and it is not installed (or not on PATH)', `install it (Docker Engine, or the docker-ce-cli package), or use \`${exec}\``);
        }
        if (r.signal) throw new UserError(`the shell on ${node} was ended by ${r.signal}`, `open it again, or use \`${exec}\``);
        throw new UserError(`the shell on ${node} could not start: ${(r.shortMessage ?? 'no exit code').split('\n')[0]}`, `use \`${exec}\``);
      }),
    );

  lab
    .command('exec')
    .argument('<node>', 'node to run on')
    .argument('<command...>', 'the command (put it after --)')
    .description('run a command on a node; its exit code is passed through')
    .action(
      action(async (ctx, node: string, command: string[]) => {
        const l = await openLab(ctx.lab);
        await checkNodes(l, [node]);
        const quoted = command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
        const r = await l.exec(node, quoted, {
          onStdout: (b) => !ctx.json && process.stdout.write(b),
          onStderr: (b) => process.stderr.write(b),
        });
        ctx.out.data({ node, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
        return r.exitCode;
      }),
    );

  lab
    .command('env')
    .argument('<node>', 'node whose engine the host docker CLI should use')
    .description('print the exports that point the docker CLI at a node: eval "$(devcoin-workshop lab env node1)"')
    .action(
      action(async (ctx, node: string) => {
        const l = await openLab(ctx.lab);
        await checkNodes(l, [node]);
        const n = (await l.nodes()).find((x) => x.name === node)!;
        let vars: Record<string, string>;
        if (l.provider === 'remote') {
          const ep = (l as RemoteLab).endpointOf(node);
          vars = ep.tls ? { DOCKER_HOST: ep.host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dirname(ep.tls.ca) } : { DOCKER_HOST: ep.host };
        } else {
          vars = { DOCKER_HOST: `tcp://127.0.0.1:${n.port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dirname(clientTls(ctx.lab).ca) };
        }
        if (ctx.json) ctx.out.data(vars);
        else {
          for (const [k, v] of Object.entries(vars)) process.stdout.write(`export ${k}=${v}\n`);
          process.stdout.write(`# run: eval "$(devcoin-workshop${ctx.lab === 'devcoin' ? '' : ` --lab ${ctx.lab}`} lab env ${node})"\n`);
        }
      }),
    );

  lab
    .command('connect')
    .argument('<node=endpoint...>', 'each machine as nodeN=ENDPOINT: a docker context name, ssh://user@host or tcp://host:2376')
    .description('use existing Docker engines (other machines) as the lab instead of engines in containers')
    .option('--managers <n>', 'how many of the nodes (node1 upwards) the chapters make managers', '3')
    .option('--tlscacert <file>', 'CA of tcp:// engines (as for the docker CLI)')
    .option('--tlscert <file>', 'client certificate for tcp:// engines')
    .option('--tlskey <file>', 'client key for tcp:// engines')
    .addHelpText('after', '\nExample:\n  devcoin-workshop --lab room lab connect node1=ssh://me@10.0.0.11 node2=ssh://me@10.0.0.12 node3=ssh://me@10.0.0.13 node4=box4 node5=box5\n\nThe machines must reach each other by these names (node1..node5), e.g. through /etc/hosts.\nThe CLI keeps one shell container per machine and the stack sources at /workshop there;\n`lab down` removes the shell containers; /workshop stays (remove it on each machine yourself). It never stops a machine: chapters that stop nodes ask you to.')
    .action(
      action(async (ctx, args: string[], opts: { managers: string; tlscacert?: string; tlscert?: string; tlskey?: string }) => {
        const managers = count(opts.managers, 'managers');
        const given = [opts.tlscacert, opts.tlscert, opts.tlskey].filter(Boolean).length;
        if (given !== 0 && given !== 3) throw new UserError('TLS needs all three of --tlscacert, --tlscert and --tlskey', 'give all three, or none for ssh:// and contexts', ExitCode.usage);
        const tls = given === 3 ? { ca: opts.tlscacert!, cert: opts.tlscert!, key: opts.tlskey! } : undefined;
        if (!isRemoteLab(ctx.lab) && (await openLab(ctx.lab).then(() => true, () => false))) {
          throw new UserError(`lab ${ctx.lab} is a built-in lab on this machine`, 'connect under another name: devcoin-workshop --lab <name> lab connect ...');
        }
        const nodes = await withLabLock(ctx.lab, 'lab connect', () =>
          ctx.out.step(`connect lab ${ctx.lab}`, (update) => connectLab(ctx.lab, args, { managers, tls, progress: update })),
        );
        ctx.out.data({ lab: ctx.lab, nodes: nodes.map((n) => ({ name: n.name, role: n.role, address: n.address, endpoint: n.endpoint.source })) });
        ctx.out.table(['NODE', 'ADDRESS', 'PLANNED', 'ENDPOINT'], nodes.map((n) => [n.name, n.address, n.role, n.endpoint.source]));
        if (!ctx.json) ctx.out.line(ctx.out.c.dim(`next: devcoin-workshop --lab ${ctx.lab} lab ls, then devcoin-workshop --lab ${ctx.lab} goto compose`));
      }),
    );

  lab
    .command('down')
    .description("remove the lab: exactly the containers, volumes and network carrying the lab's label, and its certificates")
    .addHelpText(
      'after',
      "\nWhat stays: the images, the hub cache volume devcoin-hub-cache (shared by all labs: `docker volume rm devcoin-hub-cache` frees it) and your progress (`reset` clears it).\n" +
        'A lab made with `lab connect` (other machines): only the shell container on each machine and the connection file go; the machines, their engines, swarm, services and /workshop (the stack sources copied there) stay.',
    )
    .addOption(new Option('--keep-images', 'keep the images (always the case; kept for scripts)').default(true))
    .action(
      action(async (ctx) => {
        // a connected lab: only what connect made on each machine goes (the machines stay)
        const removed = await withLabLock(ctx.lab, 'lab down', () =>
          ctx.out.step(`lab ${ctx.lab} down`, () => (isRemoteLab(ctx.lab) ? disconnectLab(ctx.lab) : labDown(ctx.lab))),
        );
        ctx.out.data({ lab: ctx.lab, removed });
        ctx.out.line(`removed ${removed.containers} containers, ${removed.volumes} volumes, ${removed.networks} networks`);
      }),
    );
}
