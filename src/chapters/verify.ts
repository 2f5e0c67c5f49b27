// verify: every check of a chapter, retried until all pass or the time is up (Swarm converges
// over seconds, and a student runs verify right after typing the last command).
import type { Lab } from '../lab/types.js';
import type { Chapter } from './types.js';

export interface CheckOutcome {
  id: string;
  title: string;
  ok: boolean;
  detail?: string;
  hint?: string;
}

export async function verifyChapter(lab: Lab, chapter: Chapter, timeoutMs = 30_000): Promise<CheckOutcome[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const results: CheckOutcome[] = [];
    for (const check of chapter.module.checks) {
      let r;
      try {
        r = await check.run(lab);
      } catch (err) {
        r = { ok: false, detail: (err as Error).message.split('\n')[0] };
      }
      results.push({ id: check.id, title: check.title, ok: r.ok, detail: r.detail, hint: r.ok ? undefined : check.hint });
    }
    if (results.every((r) => r.ok) || Date.now() > end) return results;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
