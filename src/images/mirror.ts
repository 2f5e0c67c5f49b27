// Which Debian mirror debootstrap should use: the one this machine's apt already uses (it is
// known to answer here), unless the user says otherwise. No host name is ever built in.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MirrorChoice {
  url: string;
  /** where it came from, for messages */
  source: string;
}

/** First non-security `URIs:` entry of a deb822 .sources file (a stanza of Types deb), or undefined. */
export function mirrorFromSources(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const types = /^Types:\s*(.+)$/im.exec(stanza)?.[1] ?? 'deb';
    if (!types.split(/\s+/).includes('deb')) continue;
    if (/^Enabled:\s*no\s*$/im.test(stanza)) continue;
    const uris = /^URIs:\s*(.+)$/im.exec(stanza)?.[1];
    const first = uris?.split(/\s+/).find((u) => /^https?:\/\//.test(u) && !isSecurity(u));
    if (first) return first;
  }
  return undefined;
}

// security mirrors carry only updates, not a whole suite to bootstrap from
const isSecurity = (u: string) => /security/.test(u);

/** First non-security `deb` line of a one-line-style sources.list, or undefined. */
export function mirrorFromList(text: string): string | undefined {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    // deb [options] uri suite components
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    if (m && /^https?:\/\//.test(m[1]) && !isSecurity(m[1])) return m[1];
  }
  return undefined;
}

/**
 * The mirror to use: the --mirror option, then DEVCOIN_DEBIAN_MIRROR, then the machine's apt
 * sources (sources.list.d/*.sources, then sources.list).
 */
export function detectMirror(option?: string, env: NodeJS.ProcessEnv = process.env, aptDir = '/etc/apt'): MirrorChoice | undefined {
  if (option) return { url: option, source: '--mirror' };
  if (env.DEVCOIN_DEBIAN_MIRROR) return { url: env.DEVCOIN_DEBIAN_MIRROR, source: 'DEVCOIN_DEBIAN_MIRROR' };
  const dir = join(aptDir, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.sources')).sort()) {
      const url = mirrorFromSources(readFileSync(join(dir, name), 'utf8'));
      if (url) return { url, source: join(dir, name) };
    }
  }
  const list = join(aptDir, 'sources.list');
  if (existsSync(list)) {
    const url = mirrorFromList(readFileSync(list, 'utf8'));
    if (url) return { url, source: list };
  }
  return undefined;
}
