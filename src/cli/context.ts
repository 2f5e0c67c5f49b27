// What every command gets from the global options: the output, the lab name, the flags.
import type { Command } from 'commander';
import { Output } from './output.js';
import { terminalFace } from './face.js';
import type { Face } from '../events.js';
import { ExitCode, UserError } from '../errors.js';
import { discoverHostEndpoint } from '../docker/engine.js';

export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  lab: string;
}

export interface Context {
  out: Output;
  /** the core's events rendered for this terminal (see face.ts) */
  face: Face;
  lab: string;
  json: boolean;
  verbose: boolean;
  /** true when people can be asked questions (stdin and stdout are terminals, not --json) */
  interactive: boolean;
}

const LAB_NAME = /^[a-z][a-z0-9-]{0,30}$/;

export function contextOf(cmd: Command): Context {
  const g = cmd.optsWithGlobals() as GlobalOptions;
  const lab = g.lab ?? 'devcoin';
  if (!LAB_NAME.test(lab)) {
    throw new UserError(
      `bad lab name "${lab}"`,
      'use lower-case letters, digits and dashes, starting with a letter (at most 31 characters)',
      ExitCode.usage,
    );
  }
  const out = new Output({ json: g.json, verbose: g.verbose });
  // which engine runs the labs, and why: a shell after `lab env node1` points DOCKER_HOST at a node
  if (g.verbose) {
    const ep = discoverHostEndpoint();
    out.debug(`host engine: ${ep.host} (${ep.source})`);
  }
  return {
    out,
    face: terminalFace(out),
    lab,
    json: !!g.json,
    verbose: !!g.verbose,
    interactive: !g.json && !!process.stdin.isTTY && !!process.stdout.isTTY,
  };
}

/** Wraps an action so it gets the context first; errors go to the top-level handler. */
export function action<A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<number | void>) {
  return async function (this: Command, ...args: unknown[]) {
    const cmd = args[args.length - 1] as Command;
    const code = await fn(contextOf(cmd), ...(args as A));
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  };
}
