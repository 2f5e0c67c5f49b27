// What an image is built from, as one hash: its Dockerfile, every file of its build context,
// and the hashes of the devcoin/* images it starts FROM. Images carry it as a label, so setup
// can tell a current image from one that must be built again without building anything.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { withTag, type CatalogEntry } from './catalog.js';

/** Bump when the way images are built changes in a way their files do not show. */
const PIPELINE_VERSION = 'devcoin-inputs-1';

/** Never part of a build context, whatever .dockerignore says. */
const ALWAYS_IGNORED = new Set(['node_modules', '.git']);

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches any number of folders, including none
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if ('\\^$.|+()[]{}'.includes(ch)) re += '\\' + ch;
    else re += ch;
  }
  return new RegExp(`^${re}$`);
}

export interface IgnoreRule {
  re: RegExp;
  negate: boolean;
}

/** Parses .dockerignore text (comments, `!` exceptions, `*`, `?`, `**`). */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    line = line.replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.\//, '');
    if (!line) continue;
    rules.push({ re: globToRegExp(line), negate });
  }
  return rules;
}

/** As docker does it: a path is ignored when it, or a folder above it, matches; the last matching rule wins. */
export function isIgnored(rel: string, rules: IgnoreRule[]): boolean {
  const parts = rel.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.re.test(c))) ignored = !rule.negate;
  }
  return ignored;
}

/**
 * The files sent to the engine for a build: sorted relative (posix) paths. The Dockerfile and
 * .dockerignore are always included, as docker does.
 */
export function contextFiles(dir: string, dockerfile = 'Dockerfile'): string[] {
  const ignoreFile = join(dir, '.dockerignore');
  const rules = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : [];
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      if (ALWAYS_IGNORED.has(name)) continue;
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(abs, name));
      const keep = r === dockerfile || r === '.dockerignore' || !isIgnored(r, rules);
      if (st.isDirectory()) {
        // a folder may be ignored while a `!` rule keeps something inside it
        if (keep || rules.some((x) => x.negate)) walk(join(abs, name), r);
      } else if (keep) out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** Hash of a context's files: paths, whether executable, contents. */
export function hashContext(dir: string, dockerfile = 'Dockerfile'): string {
  const h = createHash('sha256');
  for (const rel of contextFiles(dir, dockerfile)) {
    const abs = join(dir, rel);
    const st = lstatSync(abs);
    // only the executable bit: the rest of the mode depends on the umask of whoever checked out
    const kind = st.isSymbolicLink() ? 'l' : st.mode & 0o111 ? 'x' : 'f';
    const content = st.isSymbolicLink() ? Buffer.from(readlinkSync(abs)) : readFileSync(abs);
    h.update(`${rel}\0${kind}\0${createHash('sha256').update(content).digest('hex')}\n`);
  }
  return h.digest('hex');
}

/**
 * Images a Dockerfile builds on (FROM and COPY --from=), without its own stage names, with
 * `:latest` added where no tag is given.
 */
export function parentImages(dockerfileText: string): string[] {
  const stages = new Set<string>();
  const parents: string[] = [];
  const text = dockerfileText.replace(/\\\r?\n/g, ' ');
  for (const line of text.split(/\r?\n/)) {
    const from = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      const ref = from[1];
      if (!stages.has(ref.toLowerCase()) && ref !== 'scratch') parents.push(withTag(ref));
      if (from[2]) stages.add(from[2].toLowerCase());
      continue;
    }
    const copy = /^\s*COPY\s+.*--from=(\S+)/i.exec(line);
    if (copy && !stages.has(copy[1].toLowerCase()) && !/^\d+$/.test(copy[1])) parents.push(withTag(copy[1]));
  }
  return [...new Set(parents)];
}

export function hasDockerfile(entry: CatalogEntry): boolean {
  return existsSync(join(entry.context, entry.dockerfile));
}

/**
 * The inputs hash of a catalog entry (recursing into its devcoin/* parents). `undefined` when
 * the entry has no Dockerfile yet. `cache` keeps one run from hashing a context twice.
 */
export function inputsHash(
  entry: CatalogEntry,
  entries: CatalogEntry[],
  cache: Map<string, string | undefined> = new Map(),
): string | undefined {
  if (cache.has(entry.name)) return cache.get(entry.name);
  if (!hasDockerfile(entry)) {
    cache.set(entry.name, undefined);
    return undefined;
  }
  const h = createHash('sha256');
  h.update(`${PIPELINE_VERSION}\n${entry.name}\n${hashContext(entry.context, entry.dockerfile)}\n`);
  if (!entry.special) {
    const text = readFileSync(join(entry.context, entry.dockerfile), 'utf8');
    for (const parent of parentImages(text)) {
      const p = entries.find((e) => e.name === parent);
      // a parent outside the catalog (e.g. debian:trixie-slim) counts by name only
      const ph = p ? inputsHash(p, entries, cache) ?? 'missing' : 'external';
      h.update(`parent ${parent} ${ph}\n`);
    }
  }
  const hash = h.digest('hex');
  cache.set(entry.name, hash);
  return hash;
}
