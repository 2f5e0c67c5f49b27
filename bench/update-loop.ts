// Chapter 9's rolling updates again and again on one lab: the evidence that the chapter no longer
// fails by chance with "update out of sequence" (issue 22). Each round puts the miners back on
// :latest (and waits for Swarm to finish that), then runs the chapter's own steps from "Version 2"
// to its end, as `run` does: v2 attached, the wait for `completed`, v3 detached and its automatic
// rollback, the config change and the manual rollback. Nothing here repeats the chapter's text.
//
//   npm run build && node dist/bench/update-loop.js --lab t22 --runs 20
//
// The lab must be where `run update` leaves it (or in chapter 9 past its deploy): `goto update`
// then `run update` once. Prints one line per round and a last line `N of M rounds passed`; exits
// 1 when any round failed.
import { openLab, type Lab } from '../src/lab/index.js';
import { findChapter, inForm, loadChapters } from '../src/workshop/chapters.js';
import { routingFormOf } from '../src/workshop/routing.js';
import { runSteps, StepFailed } from '../src/workshop/runner.js';
import type { Chapter, Step } from '../src/workshop/types.js';
import { until } from '../src/retry.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};

const STATE = `docker service inspect devcoin_miner --format '{{.UpdateStatus.State}}'`;

async function state(lab: Lab): Promise<string> {
  return (await lab.exec('node1', STATE)).stdout.trim();
}

/** The miners back on :latest, that update finished, so the chapter's v2 is a real update again. */
async function reset(lab: Lab): Promise<void> {
  const r = await lab.exec('node1', 'docker service update --quiet --image node1:5000/devcoin/miner:latest devcoin_miner');
  if (r.exitCode !== 0) throw new Error(`reset to :latest: ${(r.stderr || r.stdout).trim()}`);
  if (!(await until(async () => (await state(lab)) === 'completed', 90_000, 500))) throw new Error(`reset to :latest: not completed within 90 s (${await state(lab)})`);
}

async function main() {
  const labName = arg('lab', 'devcoin');
  const runs = Number(arg('runs', '20'));
  const lab = await openLab(labName);
  const chapter = inForm(findChapter(await loadChapters(), 'update'), await routingFormOf(labName, lab));
  const from = chapter.steps.findIndex((s) => s.kind === 'command' && /docker build --build-arg MINER_VERSION=v2/.test(s.command));
  if (from < 0) throw new Error('chapter 9 has no v2 build step');
  const steps = chapter.steps.slice(from) as Step[];
  const only = (step: Step): Chapter => ({ ...chapter, steps: [step] });
  let passed = 0;
  for (let i = 1; i <= runs; i++) {
    const t0 = Date.now();
    let completedAfter: number | undefined;
    try {
      await reset(lab);
      let v2Done = 0;
      for (const step of steps) {
        const t = Date.now();
        await runSteps(lab, only(step));
        if (step.kind === 'command' && /miner:v2 devcoin_miner$/.test(step.command)) {
          v2Done = Date.now();
          // what the chapter waits for next: how long after the attached update Swarm says completed
          const s = await state(lab);
          console.log(`  round ${i}: right after the attached v2 update the state is ${s}`);
        } else if (v2Done && completedAfter === undefined && step.kind === 'directive' && step.name === 'wait') completedAfter = (Date.now() - t) / 1000;
      }
      passed++;
      console.log(`round ${i}: ok in ${((Date.now() - t0) / 1000).toFixed(1)} s (the first wait after the attached v2 update: ${completedAfter?.toFixed(1)} s)`);
    } catch (err) {
      const why = err instanceof StepFailed && err.output ? ` (${err.output.split('\n')[0]})` : '';
      console.log(`round ${i}: FAILED after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${(err as Error).message}${why}`);
    }
  }
  console.log(`${passed} of ${runs} rounds passed`);
  process.exit(passed === runs ? 0 : 1);
}

main().catch((err) => {
  console.error(`devcoin-workshop: update loop: ${(err as Error).message} — bring the lab to chapter 9 first (goto update, run update)`);
  process.exit(1);
});
