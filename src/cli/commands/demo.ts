// `demo`: the instructor's run-through. Every chapter: title and narration, each command typed
// at its node's prompt and run for real, then verify; a table at the end.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { ExitCode, UserError } from '../../errors.js';
import { demo, DemoFailed, type Decision } from '../../workshop/index.js';
import { sleep } from '../../retry.js';
import { terminalFace } from '../face.js';
import { confirmRemoval, readKey } from '../ask.js';
import { prompt } from '../render.js';

interface DemoFlags {
  from?: string;
  to?: string;
  step?: boolean;
  auto?: boolean;
  speed: string;
  fresh?: boolean;
  yes?: boolean;
}

async function run(ctx: Context, opts: DemoFlags): Promise<number> {
  const speed = Number(opts.speed);
  if (!Number.isFinite(speed) || speed < 0) throw new UserError('--speed must be a number >= 0', 'e.g. --speed 0 for instant typing', ExitCode.usage);
  const tty = ctx.out.tty && !ctx.json;
  const stepping = !!opts.step && !opts.auto && tty && !!process.stdin.isTTY;

  // each command typed at its node's prompt; with --step, a key decides
  const typing = async (node: string, command: string): Promise<Decision> => {
    const p = prompt(ctx.out, node);
    const text = command.split('\n').join('\n    ');
    if (!tty || speed === 0) ctx.out.line(p + text);
    else {
      process.stdout.write(p);
      for (const ch of text) {
        process.stdout.write(ch);
        await sleep(25 / speed);
      }
      process.stdout.write('\n');
    }
    if (!stepping) return 'run';
    ctx.out.info(ctx.out.c.dim('  [Enter] run  [s] skip  [q] quit'));
    return readKey();
  };
  const face = terminalFace(ctx.out, { beforeCommand: typing, confirmRemoval: ctx.interactive ? (items) => confirmRemoval(ctx.out, items) : undefined });

  let result;
  try {
    result = await demo(ctx.lab, { from: opts.from, to: opts.to, fresh: opts.fresh, yes: opts.yes }, face);
  } catch (err) {
    if (err instanceof DemoFailed) ctx.out.data({ ok: false, chapters: err.rows, failed: { chapter: err.chapter, check: err.check.id, hint: err.check.hint } });
    throw err;
  }
  if (result.outcome === 'quit') {
    ctx.out.line(`quit; continue with: devcoin-workshop demo --from ${result.stoppedAt}`);
    return ExitCode.interrupted;
  }
  ctx.out.data({ ok: true, chapters: result.chapters, totalSeconds: result.totalSeconds });
  ctx.out.line('');
  ctx.out.table(
    ['CHAPTER', 'TIME', 'CHECKS'],
    [...result.chapters.map((r) => [r.chapter, `${r.seconds.toFixed(1)}s`, `${r.passed}/${r.checks}`]), ['total', `${result.totalSeconds.toFixed(1)}s`, '']],
  );
  return 0;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description("the instructor's run-through: every chapter typed, run for real and verified")
    .option('--from <chapter>', 'start at this chapter (the lab catches up to it)')
    .option('--to <chapter>', 'stop after this chapter')
    .option('--step', 'wait for Enter before each command (s skips, q quits)')
    .option('--auto', 'run straight through (the default without a terminal)')
    .option('--speed <n>', 'typing speed; 0 types instantly', '1')
    .option('--fresh', 'start from a new lab (removes this lab first)')
    .option('--yes', 'on connected machines, remove what was there before lab connect without asking')
    .action(action(run));
}
