// The terminal's face of the core: renders its events (spinners for tasks, commands at their
// node's prompt, their output as it arrives, notes, checks) through Output, so --json, NO_COLOR
// and a missing TTY behave the same for every command.
import type { CheckOutcome, Decision, Face } from '../events.js';
import type { Output } from './output.js';
import { prompt } from './render.js';

/** A check as people read it: ✓/✗, title, what was seen; the hint under a failing one. */
export function printCheck(out: Output, r: CheckOutcome): void {
  const mark = r.ok ? out.c.green('✓') : out.c.red('✗');
  out.line(`${mark} ${r.title}${r.detail ? out.c.dim(` (${r.detail})`) : ''}`);
  if (!r.ok && r.hint) out.line(`  ${out.c.yellow('→')} ${r.hint}`);
}

export interface TerminalFaceOptions {
  /** shows (types) a command and may ask what to do; without it commands are printed at their prompt */
  beforeCommand?(node: string, command: string): Promise<Decision>;
  confirmRemoval?(items: string[]): Promise<boolean>;
}

export function terminalFace(out: Output, opts: TerminalFaceOptions = {}): Face {
  // output such as curl's often lacks a final newline: end its line before the next prompt
  let midLine = false;
  const endLine = () => {
    if (midLine && !out.json) process.stdout.write('\n');
    midLine = false;
  };
  const face: Face = {
    emit(e) {
      switch (e.type) {
        case 'task':
          if (e.phase === 'start') out.taskStart(e.label);
          else if (e.phase === 'update') out.taskUpdate(e.label, e.text ?? '');
          else out.taskEnd(e.label, e.phase === 'done', e.seconds ?? 0);
          return;
        case 'chapter':
          endLine();
          out.line('');
          out.line(out.c.bold.underline(`${e.number}. ${e.title}`));
          out.line(e.intro);
          out.line('');
          return;
        case 'command':
          endLine();
          out.line(prompt(out, e.node) + e.command.split('\n').join('\n    '));
          return;
        case 'output':
          if (out.json || e.chunk.length === 0) return;
          process.stdout.write(e.chunk);
          midLine = e.chunk[e.chunk.length - 1] !== 10;
          return;
        case 'note':
          endLine();
          out.line(out.c.dim(e.text));
          return;
        case 'log':
          endLine();
          if (e.level === 'debug') out.debug(e.text);
          else if (e.level === 'warn') out.info(out.c.yellow(e.text));
          else out.info(e.text);
          return;
        case 'check':
          endLine();
          printCheck(out, e.result);
          return;
        case 'chapter-done':
          endLine();
          return;
      }
    },
  };
  if (opts.beforeCommand) {
    const ask = opts.beforeCommand;
    face.beforeCommand = (node, command) => {
      endLine();
      return ask(node, command);
    };
  }
  if (opts.confirmRemoval) face.confirmRemoval = opts.confirmRemoval;
  return face;
}
