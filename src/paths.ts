// Where things live: the package's own files, and the user's config dir (certificates,
// progress). Nothing else is written outside the package.
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (folder with package.json), whether running from src/ or dist/src/. */
export const packageRoot = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'src')}`) ? join(here, '..', '..') : join(here, '..');
})();

export const stackDir = join(packageRoot, 'stack');
export const imagesDir = join(packageRoot, 'images');
export const chaptersDir = join(packageRoot, 'chapters');

/** User config dir: $DEVCOIN_HOME, else $XDG_CONFIG_HOME/devcoin-workshop, else ~/.config/devcoin-workshop. */
export function configDir(): string {
  if (process.env.DEVCOIN_HOME) return process.env.DEVCOIN_HOME;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'devcoin-workshop');
}

export function labDir(lab: string): string {
  return join(configDir(), 'labs', lab);
}

/** What a lab's machines were found to have (the routing mesh or not), kept beside its progress. */
export function routingFile(lab: string): string {
  return join(labDir(lab), 'routing.json');
}
