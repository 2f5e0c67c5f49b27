// `classroom up --students N`: a lab per student (class-01 ...), then the classroom server in
// the foreground, printing one URL per student and one for the instructor.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { action, type Context } from '../../context.js';
import { ExitCode, UserError } from '../../../errors.js';
import { classroomUp, parseEngine, DEFAULT_LIMITS, MAX_STUDENTS } from '../../../classroom/index.js';
import { serveInForeground } from './foreground.js';
import { bindOption, portOption } from './options.js';
import { limitOptions, limits } from '../../parse.js';


interface Flags {
  students?: string;
  engine: string[];
  bind?: string;
  port?: string;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  nodeMemory?: string;
  nodePids?: string;
  labCpus?: string;
  limits: boolean;
  allowUncaged?: boolean;
}

async function run(ctx: Context, opts: Flags): Promise<void> {
  if (opts.students === undefined) throw new UserError('say how many students: --students N', 'e.g. devcoin-workshop classroom up --students 12', ExitCode.usage);
  const n = /^\d+$/.test(opts.students) ? Number(opts.students) : NaN;
  if (!(n >= 1 && n <= MAX_STUDENTS)) throw new UserError(`--students must be a whole number from 1 to ${MAX_STUDENTS} (not "${opts.students}")`, 'e.g. --students 12', ExitCode.usage);
  const given = [opts.tlscacert, opts.tlscert, opts.tlskey].filter(Boolean).length;
  if (given !== 0 && given !== 3) throw new UserError('TLS needs all three of --tlscacert, --tlscert and --tlskey', 'give all three, or none for ssh:// and contexts', ExitCode.usage);
  const tls = given ? { ca: resolve(opts.tlscacert!), cert: resolve(opts.tlscert!), key: resolve(opts.tlskey!) } : undefined;
  const engines = [...new Set(opts.engine.map((e) => parseEngine(e, tls)))];
  const lim = limits(opts);
  const running = await classroomUp({
    students: n,
    limits: opts.limits === false ? false : lim,
    allowUncaged: !!opts.allowUncaged,
    engines,
    tls,
    bind: bindOption(opts.bind),
    port: portOption(opts.port),
    face: ctx.face,
    log: ctx.verbose ? (l) => ctx.out.debug(l) : undefined,
  });
  await serveInForeground(ctx, running);
}

export function registerClassroomUp(classroom: Command): void {
  const up = classroom.command('up');
  limitOptions(up, `default: ${DEFAULT_LIMITS.nodeMemoryMiB} MiB and ${DEFAULT_LIMITS.nodePids} processes`)
    .option('--no-limits', 'no limits at all (one lab may then slow or stop every other)')
    .option('--allow-uncaged', 'allow --engine engines without a user namespace: root in a lab there is root on that machine');
  up
    .description('bring up a lab per student (class-01, class-02, ...) and serve the classroom in the foreground')
    .option('--students <n>', `how many students (1-${MAX_STUDENTS})`)
    .option('--engine <endpoint>', "a Docker engine to put labs on: a docker context, ssh://user@host, tcp://host:2376 or `local` (this machine's); repeat for several: labs go where most memory is free", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--tlscacert <file>', 'CA of the tcp:// engines')
    .option('--tlscert <file>', 'client certificate for the tcp:// engines')
    .option('--tlskey <file>', 'client key for the tcp:// engines')
    .option('--bind <addr>', 'the address to serve on: 127.0.0.1 (this machine, the default) or 0.0.0.0 (the room)')
    .option('--port <p>', 'the port to serve on (default 8780; 0: any free port)')
    .action(action(run));
}
