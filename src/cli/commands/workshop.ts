// The student's commands: list, show, current, run, verify, next, goto, hint, reset.
// Thin: chapters live in chapters/, their engine in src/chapters/.
import type { Command } from 'commander';
import { confirm } from '@inquirer/prompts';
import { catchUpGuarded } from './catch-up.js';
import { action, type Context } from '../context.js';
import { ExitCode, UserError } from '../../errors.js';
import { loadChapters, findChapter } from '../../workshop/chapters.js';
import { readProgress, writeProgress, clearProgress, type Progress } from '../../workshop/progress.js';
import { verifyChapter, type CheckOutcome } from '../../workshop/verify.js';
import { runSteps, StepFailed } from '../../workshop/runner.js';
import type { Chapter } from '../../workshop/types.js';
import { openLab, labDown, labUp } from '../../lab/index.js';
import { withLabLock } from '../../lab/lock.js';
import { renderMarkdown, prompt } from '../render.js';
import { webUrl } from '../../lab/web.js';
import type { Lab } from '../../lab/types.js';

/**
 * Where this machine's browser opens the web UI the chapter leaves running (node1's port 80 or
 * 8080), or undefined when the chapter serves none (or the lab is older than its web ports).
 */
export async function chapterWebUi(lab: Lab, chapter: Chapter): Promise<string | undefined> {
  return chapter.module.webPort ? webUrl(lab, chapter.module.webPort) : undefined;
}

function webUiLine(ctx: Context, url: string): string {
  return `${ctx.out.c.bold('web UI:')} open ${url} in this machine's browser`;
}

async function state(ctx: Context): Promise<{ chapters: Chapter[]; progress: Progress }> {
  const chapters = await loadChapters();
  if (!chapters.length) throw new UserError('no chapters found', 'run `npm run build` first');
  const progress = readProgress(ctx.lab, chapters[0].slug);
  return { chapters, progress };
}

async function pick(ctx: Context, name?: string): Promise<Chapter> {
  const { chapters, progress } = await state(ctx);
  return findChapter(chapters, name ?? progress.current);
}

export function printChecks(ctx: Context, results: CheckOutcome[]): void {
  for (const r of results) {
    const mark = r.ok ? ctx.out.c.green('✓') : ctx.out.c.red('✗');
    ctx.out.line(`${mark} ${r.title}${r.detail ? ctx.out.c.dim(` (${r.detail})`) : ''}`);
    if (!r.ok && r.hint) ctx.out.line(`  ${ctx.out.c.yellow('→')} ${r.hint}`);
  }
}

export async function runChapter(ctx: Context, chapter: Chapter, typing?: (node: string, cmd: string) => Promise<'run' | 'skip' | 'quit'>) {
  const lab = await openLab(ctx.lab);
  // output such as curl's often lacks a final newline: end its line before the next prompt
  let midLine = false;
  const endLine = () => {
    if (midLine && !ctx.json) process.stdout.write('\n');
    midLine = false;
  };
  try {
    return await runSteps(lab, chapter, {
      beforeCommand: async (node, command) => {
        endLine();
        if (typing) return typing(node, command);
        ctx.out.line(prompt(ctx.out, node) + command.split('\n').join('\n    '));
        return 'run';
      },
      onOutput: (b) => {
        if (ctx.json || b.length === 0) return;
        process.stdout.write(b);
        midLine = b[b.length - 1] !== 10;
      },
      onNote: (t) => {
        endLine();
        ctx.out.line(ctx.out.c.dim(t));
      },
    });
  } finally {
    endLine();
  }
}

export function stepFailure(err: unknown, chapter: Chapter): never {
  if (err instanceof StepFailed) {
    const last = err.output.split('\n').filter(Boolean).pop();
    throw new UserError(`${chapter.slug}: ${err.message}${last ? `: ${last}` : ''}`, `fix it and run \`devcoin-workshop run ${chapter.slug}\` again, or catch up with \`devcoin-workshop goto ${chapter.slug}\``);
  }
  throw err;
}

/**
 * A number of seconds above 0, written as digits (`30`, `2.5`); anything else is one line and
 * exit 2. (Number("abc") is NaN, and a deadline of NaN is never reached: verify waited forever.)
 */
/** A number of seconds, 0 or more (0: check once, no waiting; the bench times one pass so). */
export function seconds(value: string, option: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0) || !Number.isFinite(n)) throw new UserError(`${option} must be a number of seconds, 0 or more (not "${value}")`, `e.g. ${option} 30`, ExitCode.usage);
  return n;
}

export function registerWorkshop(program: Command): void {
  program
    .command('list')
    .description('the chapters, with what is done, current and to do')
    .action(
      action(async (ctx) => {
        const { chapters, progress } = await state(ctx);
        const rows = chapters.map((c) => ({
          number: c.number,
          slug: c.slug,
          title: c.title,
          status: progress.done.includes(c.slug) ? 'done' : c.slug === progress.current ? 'current' : 'todo',
        }));
        ctx.out.data({ chapters: rows });
        for (const r of rows) {
          const mark = r.status === 'done' ? ctx.out.c.green('✓') : r.status === 'current' ? ctx.out.c.cyan('▶') : ' ';
          ctx.out.line(`${mark} ${String(r.number).padStart(2)}  ${r.slug.padEnd(10)} ${r.title}`);
        }
      }),
    );

  program
    .command('show')
    .argument('[chapter]', 'slug, number or folder (default: the current chapter)')
    .description("read a chapter: why, what to type and on which node, what it means")
    .action(
      action(async (ctx, name?: string) => {
        const c = await pick(ctx, name);
        ctx.out.data({ chapter: c.slug, title: c.title, markdown: c.markdown });
        ctx.out.line(renderMarkdown(ctx.out, c.markdown));
        ctx.out.line(ctx.out.c.dim(`\ntype the commands on their node (devcoin-workshop lab shell node1), then: devcoin-workshop verify`));
      }),
    );

  program
    .command('current')
    .description('which chapter you are on')
    .action(
      action(async (ctx) => {
        const c = await pick(ctx);
        ctx.out.data({ chapter: c.slug, number: c.number, title: c.title });
        ctx.out.line(`${c.number} ${c.slug}: ${c.title}`);
      }),
    );

  program
    .command('hint')
    .argument('[chapter]', 'slug, number or folder (default: the current chapter)')
    .description('a hint for the chapter')
    .action(
      action(async (ctx, name?: string) => {
        const c = await pick(ctx, name);
        ctx.out.data({ chapter: c.slug, hint: c.hint ?? null });
        ctx.out.line(c.hint ? renderMarkdown(ctx.out, c.hint) : 'no hint for this chapter: read it again with `devcoin-workshop show`');
      }),
    );

  program
    .command('run')
    .argument('[chapter]', 'slug, number or folder (default: the current chapter)')
    .description("run the chapter's commands for you, each shown at its node's prompt")
    .action(
      action(async (ctx, name?: string) => {
        const c = await pick(ctx, name);
        try {
          await runChapter(ctx, c);
        } catch (err) {
          stepFailure(err, c);
        }
        const webUi = await chapterWebUi(await openLab(ctx.lab), c);
        ctx.out.data({ chapter: c.slug, ran: true, webUi: webUi ?? null });
        if (webUi) ctx.out.line(webUiLine(ctx, webUi));
        ctx.out.line(ctx.out.c.dim('next: devcoin-workshop verify'));
      }),
    );

  program
    .command('verify')
    .argument('[chapter]', 'slug, number or folder (default: the current chapter)')
    .option('--timeout <seconds>', 'how long to wait for the swarm to converge (0: check once)', '30')
    .description('check the real state of the lab against the chapter (exit 0 when all pass)')
    .action(
      action(async (ctx, name: string | undefined, opts: { timeout: string }) => {
        const timeout = seconds(opts.timeout, '--timeout');
        const c = await pick(ctx, name);
        const lab = await openLab(ctx.lab);
        const results = await ctx.out.step(`verify ${c.slug}`, () => verifyChapter(lab, c, timeout * 1000));
        const ok = results.every((r) => r.ok);
        ctx.out.data({ chapter: c.slug, ok, checks: results });
        printChecks(ctx, results);
        ctx.out.line(ok ? ctx.out.c.green(`all ${results.length} checks pass: devcoin-workshop next`) : ctx.out.c.red(`${results.filter((r) => !r.ok).length} of ${results.length} checks fail`));
        return ok ? 0 : ExitCode.failed;
      }),
    );

  program
    .command('next')
    .option('--force', 'move on even though verify does not pass')
    .description('mark the current chapter done (when verify passes) and show the next one')
    .action(
      action(async (ctx, opts: { force?: boolean }) => {
        const { chapters, progress } = await state(ctx);
        const c = findChapter(chapters, progress.current);
        const lab = await openLab(ctx.lab);
        if (!opts.force) {
          const results = await verifyChapter(lab, c, 10_000);
          if (!results.every((r) => r.ok)) {
            printChecks(ctx, results);
            ctx.out.data({ chapter: c.slug, moved: false, checks: results });
            throw new UserError(`${c.slug} does not verify yet`, 'fix what is marked ✗ above, or use `next --force` to move on anyway');
          }
        }
        const i = chapters.indexOf(c);
        const next = chapters[i + 1];
        const done = [...new Set([...progress.done, c.slug])];
        writeProgress(ctx.lab, { current: next?.slug ?? c.slug, done });
        // the chapter just done leaves the web UI running: say where to watch it
        const webUi = await chapterWebUi(lab, c);
        ctx.out.data({ chapter: c.slug, moved: !!next, next: next?.slug ?? null, webUi: webUi ?? null });
        if (webUi) ctx.out.line(`${webUiLine(ctx, webUi)} (what ${c.slug} left running)\n`);
        if (!next) ctx.out.line(ctx.out.c.green('That was the last chapter. Well done!'));
        else ctx.out.line(`${ctx.out.c.bold(`${next.number} ${next.title}`)}\n\n${next.intro}\n\n${ctx.out.c.dim('read it all: devcoin-workshop show')}`);
      }),
    );

  program
    .command('goto')
    .argument('<chapter>', 'slug, number or folder')
    .option('--yes', 'on connected machines, remove what was there before lab connect without asking')
    .description("catch up: bring the lab to the state the chapter starts from, and move there")
    .action(
      action(async (ctx, name: string, opts: { yes?: boolean }) => {
        const { chapters, progress } = await state(ctx);
        const c = findChapter(chapters, name);
        const lab = await openLab(ctx.lab);
        await catchUpGuarded(ctx, lab, c, !!opts.yes);
        const before = chapters.slice(0, chapters.indexOf(c)).map((x) => x.slug);
        writeProgress(ctx.lab, { current: c.slug, done: [...new Set([...progress.done.filter((d) => before.includes(d)), ...before])] });
        ctx.out.data({ chapter: c.slug });
        ctx.out.line(`now at ${c.number} ${c.title}: devcoin-workshop show`);
      }),
    );

  program
    .command('reset')
    .option('--yes', 'do not ask for confirmation')
    .option('--progress-only', 'forget the progress but leave the lab as it is')
    .description('start over: progress back to the first chapter and a fresh lab')
    .action(
      action(async (ctx, opts: { yes?: boolean; progressOnly?: boolean }) => {
        const what = opts.progressOnly ? 'your progress' : `your progress and lab ${ctx.lab} (its containers, volumes and swarm)`;
        if (!opts.yes) {
          if (!ctx.interactive) throw new UserError(`reset would remove ${what}`, 'run it again with --yes to confirm', ExitCode.usage);
          if (!(await confirm({ message: `Remove ${what} and start again?`, default: false }))) return ExitCode.failed;
        }
        clearProgress(ctx.lab);
        if (!opts.progressOnly) {
          await withLabLock(ctx.lab, 'reset', async () => {
            await ctx.out.step(`lab ${ctx.lab} down`, () => labDown(ctx.lab));
            await ctx.out.step(`lab ${ctx.lab} up`, (u) => labUp(ctx.lab, { managers: 3, workers: 2, progress: u }));
          });
        }
        ctx.out.data({ reset: true, lab: !opts.progressOnly });
        ctx.out.line('back at the first chapter: devcoin-workshop show');
      }),
    );
}
