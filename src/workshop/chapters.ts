// Finds the chapters (chapters/NN-slug/README.md + index.ts) and resolves the names people type.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chaptersDir, packageRoot } from '../paths.js';
import { ExitCode, UserError, errorMessage } from '../errors.js';
import { parseChapter, type RoutingForm } from './markdown.js';
import type { Chapter, ChapterModule } from './types.js';

let cache: Chapter[] | undefined;

export async function loadChapters(): Promise<Chapter[]> {
  if (cache) return cache;
  // the compiled modules: tsc writes chapters/*/index.ts to dist/chapters/*/index.js
  cache = await loadChaptersFrom(chaptersDir, join(packageRoot, 'dist', 'chapters'));
  return cache;
}

/** A path inside the package relative to it (dist/chapters/...), any other as it is. */
function shortPath(path: string): string {
  const rel = relative(packageRoot, path);
  return rel.startsWith('..') ? path : rel;
}

/**
 * Every chapter folder (NN-slug) of `sourceDir`, with its README.md from there and its module
 * from `compiledDir`. A chapter that cannot be loaded is an error that names it and the cause:
 * skipping it would renumber the course without a word.
 */
export async function loadChaptersFrom(sourceDir: string, compiledDir: string): Promise<Chapter[]> {
  const dirs = readdirSync(sourceDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d\d-[a-z]+$/.test(d.name))
    .map((d) => d.name)
    .sort();
  const chapters: Chapter[] = [];
  for (const dir of dirs) {
    const readme = join(sourceDir, dir, 'README.md');
    const compiled = join(compiledDir, dir, 'index.js');
    const broken = (why: string, todo = 'run `npm run build` and try again') => new UserError(`chapter ${dir} could not be loaded: ${why}`, todo);
    if (!existsSync(readme)) throw broken(`chapters/${dir}/README.md is missing`, `restore chapters/${dir}/README.md, or remove the folder`);
    if (!existsSync(compiled)) {
      throw existsSync(join(sourceDir, dir, 'index.ts'))
        ? broken(`its module is not built (no ${shortPath(compiled)})`)
        : broken(`chapters/${dir}/index.ts is missing`, `restore chapters/${dir}/index.ts (its checks and catch-up), or remove the folder`);
    }
    let mod: ChapterModule;
    try {
      mod = (await import(pathToFileURL(compiled).href)) as ChapterModule;
    } catch (err) {
      throw broken(`${errorMessage(err).split('\n')[0]}`, `run \`npm run build\`; if it still fails, fix chapters/${dir}/index.ts`);
    }
    if (!Array.isArray(mod.checks) || typeof mod.catchUp !== 'function') {
      throw broken('its module does not export `checks` (a list) and `catchUp` (a function)', `fix chapters/${dir}/index.ts, then run \`npm run build\``);
    }
    const text = readFileSync(readme, 'utf8');
    const forms = { dnsrr: parseChapter(text, `chapters/${dir}/README.md`, 'dnsrr'), mesh: parseChapter(text, `chapters/${dir}/README.md`, 'mesh') };
    chapters.push({
      ...forms.dnsrr,
      forms,
      number: Number(dir.slice(0, 2)),
      slug: dir.slice(3),
      dir,
      module: mod,
    });
  }
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

/** The chapter as it reads (and runs) on a lab of that routing form. */
export function inForm(chapter: Chapter, form: RoutingForm): Chapter {
  return { ...chapter, ...chapter.forms[form] };
}
