// verify: every check of a chapter, retried while the swarm is still converging (a student runs
// verify right after typing the last command), but not for long when the state is plainly wrong.
import type { Lab } from '../lab/index.js';
import type { Chapter, CheckResult } from './types.js';

import type { CheckOutcome } from '../events.js';
import { sleep, withTimeout } from '../retry.js';

export type { CheckOutcome };

/**
 * How long a failing state that nothing marks as converging, and whose details do not change,
 * is watched before verify says so (counted from the last round anything was converging).
 * Counts and rates in a detail may move (a rate over 10 s builds up), so the comparison ignores
 * numbers; what a check reports as converging (tasks starting, an update going on, a manager
 * electing) keeps verify waiting up to the timeout.
 */
export const SETTLE_MS = 7000;

/** A failing result's shape without its numbers: "3/5 running" and "4/5 running" look alike. */
function shapeOf(failing: (CheckOutcome & { converging?: boolean })[]): string {
  return JSON.stringify(failing.map((r) => [r.id, (r.detail ?? '').replace(/[\d.,]+/g, '#')]));
}

/**
 * How long one check may run past verify's own deadline: a probe that hangs (an exec or an engine
 * call that never answers, e.g. into a node that is restarting) is a failure that says so, not a
 * verify that never ends; one that is only slow still finishes, as before.
 */
export const CHECK_LIMIT_MS = 60_000;

export async function runCheck(lab: Lab, check: Chapter['module']['checks'][number], limitMs = CHECK_LIMIT_MS): Promise<CheckResult> {
  try {
    return await withTimeout(check.run(lab), limitMs);
  } catch (err) {
    // a probe that could not run is a failure, and says why
    return { ok: false, detail: `could not check: ${(err as Error).message.split('\n')[0]}` };
  }
}

export async function verifyChapter(lab: Lab, chapter: Chapter, timeoutMs = 30_000, settleMs = SETTLE_MS, checkLimitMs = CHECK_LIMIT_MS): Promise<CheckOutcome[]> {
  const start = Date.now();
  const end = start + timeoutMs;
  let lastShape = '';
  let stableSince = start;
  for (;;) {
    const results: (CheckOutcome & { converging?: boolean })[] = [];
    for (const check of chapter.module.checks) {
      const r = await runCheck(lab, check, Math.max(0, end - Date.now()) + checkLimitMs);
      results.push({ id: check.id, title: check.title, ok: r.ok, detail: r.detail, hint: r.ok ? undefined : check.hint, converging: !r.ok && !!r.converging });
    }
    const strip = () => results.map(({ converging: _c, ...o }) => o);
    const failing = results.filter((r) => !r.ok);
    if (!failing.length || Date.now() > end) return strip();
    const shape = shapeOf(failing);
    if (shape !== lastShape) {
      stableSince = lastShape === '' ? start : Date.now();
      lastShape = shape;
    }
    // the settle time counts from the last round anything was converging: a route or a count
    // that lags the swarm by a few seconds (a DNS cache, a health check, a miner's report) gets
    // them after the tasks are up, not only if the failure's text happened to change meanwhile
    if (failing.some((r) => r.converging)) stableSince = Date.now();
    else if (Date.now() - stableSince >= settleMs) return strip();
    await sleep(1000);
  }
}
