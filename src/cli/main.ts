#!/usr/bin/env node
// Command-line wiring only: each command lives in src/cli/commands/ (a file per verb, a folder
// per noun) and registers itself here; errors become one line and an exit code here.
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { ExitCode, UserError, errorMessage } from '../errors.js';
import { registerDoctor } from './commands/doctor.js';
import { registerSetup } from './commands/setup.js';
import { registerImages } from './commands/images/index.js';
import { registerLab } from './commands/lab/index.js';
import { registerList } from './commands/list.js';
import { registerShow } from './commands/show.js';
import { registerCurrent } from './commands/current.js';
import { registerHint } from './commands/hint.js';
import { registerRun } from './commands/run.js';
import { registerVerify } from './commands/verify.js';
import { registerNext } from './commands/next.js';
import { registerGoto } from './commands/goto.js';
import { registerReset } from './commands/reset.js';
import { registerDemo } from './commands/demo.js';
import { registerClassroom } from './commands/classroom/index.js';

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('devcoin-workshop')
    .description('A hands-on Docker Swarm workshop on a real multi-node lab, on one machine, offline.')
    .version(pkg.version, '-V, --version', 'print the version')
    .option('--json', 'machine-readable output on stdout (no colours, no spinners)')
    .option('-v, --verbose', 'say more about what happens (on stderr)')
    .addOption(new Option('--lab <name>', 'which lab to use; several can run side by side').default('devcoin'))
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });

  registerDoctor(program);
  registerSetup(program);
  registerImages(program);
  registerLab(program);
  for (const register of [registerList, registerShow, registerCurrent, registerHint, registerRun, registerVerify, registerNext, registerGoto, registerReset]) register(program);
  registerDemo(program);
  registerClassroom(program);

  program.addHelpText(
    'after',
    `
Getting started:
  devcoin-workshop doctor        check this machine
  devcoin-workshop setup         build the images (offline, from Debian packages)
  devcoin-workshop lab up        start the 5-node lab
  devcoin-workshop show          read the current chapter
  devcoin-workshop verify        check your work, then: devcoin-workshop next`,
  );
  return program;
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) applyExitOverride(sub);
}

export async function main(argv = process.argv): Promise<void> {
  const program = buildProgram();
  applyExitOverride(program);
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors; commander already printed its message
      process.exitCode = err.exitCode === 0 ? 0 : ExitCode.usage;
      return;
    }
    if (err instanceof UserError) {
      if (json) process.stdout.write(JSON.stringify({ error: err.message, hint: err.hint ?? null }) + '\n');
      process.stderr.write(`devcoin-workshop: ${err.message}${err.hint ? ` — ${err.hint}` : ''}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    const name = (err as { name?: string })?.name;
    if (name === 'ExitPromptError' || name === 'AbortPromptError') {
      process.exitCode = ExitCode.interrupted;
      return;
    }
    if (json) process.stdout.write(JSON.stringify({ error: errorMessage(err) }) + '\n');
    process.stderr.write(`devcoin-workshop: ${errorMessage(err).split('\n')[0]}${verbose ? '' : ' (run with --verbose for details)'}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    process.exitCode = ExitCode.failed;
  }
}

// `devcoin-workshop images ls | head`: a closed pipe is the reader's choice, not an error
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.on('SIGINT', () => {
  process.stderr.write('\ninterrupted; run the same command again to finish the job\n');
  process.exit(ExitCode.interrupted);
});

await main();
