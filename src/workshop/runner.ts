// Runs a chapter's steps on a lab, as a student would type them: commands on their node,
// directives for what the student would do by hand (stop a machine, wait for Swarm).
import type { Lab } from '../lab/index.js';
import { UserError } from '../errors.js';
import type { Chapter, Step } from './types.js';
import { nodeOfTask } from '../swarm/index.js';
import { until } from '../retry.js';
import { LAB_VERBS, type LabVerb } from './markdown.js';
import { silent, type Face } from '../events.js';

export class StepFailed extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function runSteps(lab: Lab, chapter: Chapter, face: Face = silent): Promise<'done' | 'quit'> {
  const output = (chunk: Buffer) => chunk.length && face.emit({ type: 'output', chunk });
  const vars = new Map<string, string>();
  // a block of several lines stops at its first failing line, as a student would
  const withVars = (cmd: string) =>
    (vars.size ? [...vars].map(([k, v]) => `export ${k}=${shellQuote(v)}; `).join('') : '') + (cmd.includes('\n') ? `set -e\n${cmd}` : cmd);

  for (const step of chapter.steps as Step[]) {
    if (step.kind === 'directive') {
      await runDirective(lab, step, withVars, vars, face);
      continue;
    }
    let node = step.node;
    if (node.startsWith('@')) {
      const service = node.slice(1);
      // right after an update the new task may still be starting: give it a moment
      let found: string | undefined;
      await until(async () => (found = await nodeOfTask(lab, service)) !== undefined, 30_000, 1000);
      if (!found) throw new StepFailed(`no running task of service ${service} to act on`, '');
      node = found;
    }
    let decision: 'run' | 'skip' | 'quit' = 'run';
    if (face.beforeCommand) decision = await face.beforeCommand(node, step.command);
    else face.emit({ type: 'command', node, command: step.command });
    if (decision === 'quit') return 'quit';
    if (decision === 'skip') continue;
    if (step.expectFail) {
      // the failure is the lesson (e.g. a lost quorum); Swarm may take a few seconds to get there,
      // and meanwhile a call can hang for 20 s (a manager that is electing): try again after 5 s
      let r: Awaited<ReturnType<Lab['exec']>> | undefined;
      const out = () => (r ? r.stdout + r.stderr : '');
      const ok = await until(async () => {
        r = await lab.exec(node, withVars(step.command), { timeoutMs: 5_000 });
        return r.exitCode !== 0 && step.expectFail!.test(out());
      }, 60_000, 1000);
      output(Buffer.from(out()));
      if (!ok) throw new StepFailed(`expected \`${step.command}\` on ${node} to fail with ${step.expectFail}`, out());
      continue;
    }
    const r = await lab.exec(node, withVars(step.command), { onStdout: output, onStderr: output });
    if (r.exitCode !== 0) {
      throw new StepFailed(`\`${step.command.split('\n')[0]}\` on ${node} exited with ${r.exitCode}`, (r.stderr || r.stdout).trim());
    }
  }
  return 'done';
}

async function runDirective(
  lab: Lab,
  step: Extract<Step, { kind: 'directive' }>,
  withVars: (c: string) => string,
  vars: Map<string, string>,
  face: Face,
): Promise<void> {
  switch (step.name) {
    case 'lab': {
      const [verb, ...nodes] = step.body.split(/\s+/);
      // on real machines a machine that fails (kill) is one the student stops by hand
      const byHand = verb === 'kill' ? 'stop' : verb;
      if (!lab.canStopNodes) throw new UserError(`this chapter needs to ${byHand} ${nodes.join(' ')}`, `${byHand} those machines by hand, then run verify`);
      face.emit({ type: 'note', text: `(${LAB_VERBS[verb as LabVerb] ?? verb} ${nodes.join(' ')})` });
      if (verb === 'stop') await lab.stop(nodes);
      else if (verb === 'start') await lab.start(nodes);
      else if (verb === 'kill') await lab.kill(nodes);
      else throw new StepFailed(`unknown lab action ${verb}`, '');
      return;
    }
    case 'wait': {
      const seconds = Number(step.arg);
      const ok = await until(async () => (await lab.exec(step.node!, withVars(step.body))).exitCode === 0, seconds * 1000, 1000);
      if (!ok) throw new StepFailed(`waited ${seconds} s on ${step.node} for: ${step.body}`, '');
      return;
    }
    case 'run': {
      const r = await lab.exec(step.node!, withVars(step.body));
      if (r.exitCode !== 0) throw new StepFailed(`\`${step.body}\` on ${step.node} exited with ${r.exitCode}`, r.stderr.trim());
      return;
    }
    case 'capture': {
      const r = await lab.exec(step.node!, withVars(step.body));
      if (r.exitCode !== 0) throw new StepFailed(`\`${step.body}\` on ${step.node} exited with ${r.exitCode}`, r.stderr.trim());
      vars.set(step.arg!, r.stdout.trim());
      return;
    }
  }
}
