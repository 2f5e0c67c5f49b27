// `demo`: the instructor's run-through. Every chapter: title and narration, each command typed
// at its node's prompt and run for real, then verify; a table at the end. Stops at the first
// failure and says how to continue.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { ExitCode, UserError } from '../../errors.js';
import { loadChapters, findChapter } from '../../workshop/chapters.js';
import { verifyChapter } from '../../workshop/verify.js';
import { writeProgress } from '../../workshop/progress.js';
import { isRemoteLab, labDown, labUp, openLab } from '../../lab/index.js';
import { withLabLock } from '../../lab/lock.js';
import { findDindLab } from '../../lab/dind/provision.js';
import { prompt } from '../render.js';
import { printChecks, runChapter, stepFailure } from './workshop.js';
import { catchUpGuarded } from './catch-up.js';

interface DemoOptions {
  from?: string;
  to?: string;
  step?: boolean;
  auto?: boolean;
  speed: string;
  fresh?: boolean;
  yes?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One key from a terminal: Enter = run, s = skip, q = quit. */
function readKey(): Promise<'run' | 'skip' | 'quit'> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.once('data', (b: Buffer) => {
      stdin.setRawMode?.(false);
      stdin.pause();
      const k = b.toString();
      resolve(k === 'q' || k === '\u0003' ? 'quit' : k === 's' ? 'skip' : 'run');
    });
  });
}

async function demo(ctx: Context, opts: DemoOptions) {
  const speed = Number(opts.speed);
  if (!Number.isFinite(speed) || speed < 0) throw new UserError('--speed must be a number >= 0', 'e.g. --speed 0 for instant typing', ExitCode.usage);
  const chapters = await loadChapters();
  const from = opts.from ? findChapter(chapters, opts.from) : chapters[0];
  const to = opts.to ? findChapter(chapters, opts.to) : chapters[chapters.length - 1];
  const range = chapters.slice(chapters.indexOf(from), chapters.indexOf(to) + 1);
  if (!range.length) throw new UserError(`--from ${from.slug} comes after --to ${to.slug}`, 'swap them', ExitCode.usage);
  const tty = ctx.out.tty && !ctx.json;
  const stepping = !!opts.step && !opts.auto && tty && !!process.stdin.isTTY;

  // connected machines are used as they are: never a built-in lab of the same name beside them
  if (opts.fresh && isRemoteLab(ctx.lab)) throw new UserError(`lab ${ctx.lab} is made of connected machines`, 'drop --fresh: the demo catches up on them instead', ExitCode.usage);
  if (!isRemoteLab(ctx.lab)) await withLabLock(ctx.lab, 'demo', async () => {
    if (opts.fresh) await ctx.out.step(`lab ${ctx.lab} down (fresh start)`, () => labDown(ctx.lab));
    if (opts.fresh || !(await findDindLab(ctx.lab))) {
      await ctx.out.step(`lab ${ctx.lab} up`, (u) => labUp(ctx.lab, { managers: 3, workers: 2, progress: u }));
    }
  });
  const lab = await openLab(ctx.lab);
  await catchUpGuarded(ctx, lab, from, !!opts.yes);

  const typing = async (node: string, command: string): Promise<'run' | 'skip' | 'quit'> => {
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

  const table: { chapter: string; seconds: number; passed: number; checks: number }[] = [];
  for (const c of range) {
    const t0 = Date.now();
    ctx.out.line('');
    ctx.out.line(ctx.out.c.bold.underline(`${c.number}. ${c.title}`));
    ctx.out.line(c.intro);
    ctx.out.line('');
    let outcome;
    try {
      outcome = await runChapter(ctx, c, typing);
    } catch (err) {
      ctx.out.line(ctx.out.c.red(`stopped in ${c.slug}; continue with: devcoin-workshop demo --from ${c.slug}`));
      stepFailure(err, c);
    }
    if (outcome === 'quit') {
      ctx.out.line(`quit; continue with: devcoin-workshop demo --from ${c.slug}`);
      return ExitCode.interrupted;
    }
    const results = await ctx.out.step(`verify ${c.slug}`, () => verifyChapter(lab, c, 60_000));
    printChecks(ctx, results);
    const passed = results.filter((r) => r.ok).length;
    table.push({ chapter: c.slug, seconds: (Date.now() - t0) / 1000, passed, checks: results.length });
    if (passed < results.length) {
      const bad = results.find((r) => !r.ok)!;
      ctx.out.data({ ok: false, chapters: table, failed: { chapter: c.slug, check: bad.id, hint: bad.hint } });
      throw new UserError(`${c.slug}: check "${bad.title}" failed`, `${bad.hint}; then continue with: devcoin-workshop demo --from ${c.slug}`);
    }
    const i = chapters.indexOf(c);
    writeProgress(ctx.lab, { current: chapters[i + 1]?.slug ?? c.slug, done: chapters.slice(0, i + 1).map((x) => x.slug) });
  }
  const total = table.reduce((s, r) => s + r.seconds, 0);
  ctx.out.data({ ok: true, chapters: table, totalSeconds: total });
  ctx.out.line('');
  ctx.out.table(
    ['CHAPTER', 'TIME', 'CHECKS'],
    [...table.map((r) => [r.chapter, `${r.seconds.toFixed(1)}s`, `${r.passed}/${r.checks}`]), ['total', `${total.toFixed(1)}s`, '']],
  );
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
    .action(action(demo));
}
