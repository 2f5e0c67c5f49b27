// Finds the chapters (chapters/NN-slug/README.md + index.ts) and resolves the names people type.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chaptersDir, packageRoot } from '../paths.js';
import { ExitCode, UserError } from '../errors.js';
import { parseChapter } from './markdown.js';
import type { Chapter, ChapterModule } from './types.js';

let cache: Chapter[] | undefined;

export async function loadChapters(): Promise<Chapter[]> {
  if (cache) return cache;
  const dirs = readdirSync(chaptersDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d\d-[a-z]+$/.test(d.name))
    .map((d) => d.name)
    .sort();
  const chapters: Chapter[] = [];
  for (const dir of dirs) {
    const readme = join(chaptersDir, dir, 'README.md');
    // the compiled module (tsc writes chapters/*/index.ts to dist/chapters/*/index.js)
    const compiled = join(packageRoot, 'dist', 'chapters', dir, 'index.js');
    if (!existsSync(readme) || !existsSync(compiled)) continue;
    const mod = (await import(pathToFileURL(compiled).href)) as ChapterModule;
    chapters.push({
      ...parseChapter(readFileSync(readme, 'utf8'), `chapters/${dir}/README.md`),
      number: Number(dir.slice(0, 2)),
      slug: dir.slice(3),
      dir,
      module: mod,
    });
  }
  cache = chapters;
  return chapters;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** The closest slug to what was typed, for "did you mean". */
export function closest(name: string, slugs: string[]): string | undefined {
  const scored = slugs.map((s) => ({ s, d: distance(name.toLowerCase(), s) })).sort((x, y) => x.d - y.d);
  return scored[0] && scored[0].d <= Math.max(2, Math.floor(scored[0].s.length / 2)) ? scored[0].s : undefined;
}

/** Accepts a slug (swarm), a number (2) or a folder name (02-swarm). */
export function findChapter(chapters: Chapter[], name: string): Chapter {
  const n = name.trim().toLowerCase();
  const found = chapters.find((c) => c.slug === n || c.dir === n || String(c.number) === n.replace(/^0+/, ''));
  if (found) return found;
  const guess = closest(n, chapters.map((c) => c.slug));
  throw new UserError(
    `unknown chapter "${name}"`,
    guess ? `did you mean "${guess}"? (see devcoin-workshop list)` : 'see devcoin-workshop list',
    ExitCode.usage,
  );
}
