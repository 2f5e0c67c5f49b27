// The miner's settings, from the file named by MINER_CONFIG (JSON or YAML). In the configs
// chapter that file is a Docker config, rotated while the stack runs; in compose it is a bind
// mount an instructor may edit live. So the file is re-read when it changes, and a broken file
// never stops the miner: it keeps the settings it had and says exactly what is wrong.
import { parse as parseYaml } from 'yaml';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface MinerConfig {
  /** leading zero hex digits a coin's hash needs (1..16) */
  difficulty: number;
  /** hashes per second for the whole miner, or 'unlimited' */
  speedLimit: number | 'unlimited';
  /** worker threads hashing in parallel (1..64) */
  threads: number;
  /** seconds between reports to Redis (0.2..60) */
  reportInterval: number;
}

export const DEFAULT_CONFIG: Readonly<MinerConfig> = Object.freeze({
  difficulty: 5,
  speedLimit: 250_000,
  threads: 1,
  reportInterval: 1,
});

export class ConfigError extends Error {}

const KEYS = ['difficulty', 'speedLimit', 'threads', 'reportInterval'] as const;

function intIn(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Parses and checks a config file's text; missing keys take the defaults. Throws ConfigError. */
export function parseConfig(text: string, source = 'config'): MinerConfig {
  let raw: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both
    raw = text.trim() === '' ? {} : parseYaml(text, { prettyErrors: false });
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new ConfigError(`${source}: not valid JSON or YAML (${first})`);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: expected a mapping of settings, got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
  const obj = raw as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !(KEYS as readonly string[]).includes(k));
  // a misspelt key would otherwise be silently ignored
  if (unknown.length) throw new ConfigError(`${source}: unknown setting ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${KEYS.join(', ')})`);
  try {
    const cfg: MinerConfig = { ...DEFAULT_CONFIG };
    if (obj.difficulty !== undefined) cfg.difficulty = intIn(obj.difficulty, 'difficulty', 1, 16);
    if (obj.threads !== undefined) cfg.threads = intIn(obj.threads, 'threads', 1, 64);
    if (obj.speedLimit !== undefined) {
      const s = obj.speedLimit;
      if (s === 'unlimited') cfg.speedLimit = 'unlimited';
      else if (typeof s === 'number' && Number.isFinite(s) && s >= 1) cfg.speedLimit = Math.round(s);
      else throw new ConfigError(`speedLimit must be a number of hashes per second (at least 1) or "unlimited", got ${JSON.stringify(s)}`);
    }
    if (obj.reportInterval !== undefined) {
      const r = obj.reportInterval;
      if (typeof r !== 'number' || !Number.isFinite(r) || r < 0.2 || r > 60) throw new ConfigError(`reportInterval must be seconds from 0.2 to 60, got ${JSON.stringify(r)}`);
      cfg.reportInterval = r;
    }
    return cfg;
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
}

export function describeConfig(c: MinerConfig): string {
  const speed = c.speedLimit === 'unlimited' ? 'unlimited' : `${c.speedLimit} H/s`;
  return `difficulty ${c.difficulty}, speed limit ${speed}, ${c.threads} thread${c.threads === 1 ? '' : 's'}, report every ${c.reportInterval}s`;
}

export function sameConfig(a: MinerConfig, b: MinerConfig): boolean {
  return KEYS.every((k) => a[k] === b[k]);
}

/**
 * Holds the current config and follows the file. fs.watch on the folder sees editors that
 * replace the file and Docker config mounts; a slow poll covers filesystems where watch events
 * never arrive (bind mounts from another machine, overlay layers).
 */
export class ConfigWatcher {
  current: MinerConfig;
  private lastText: string | undefined;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;

  constructor(
    private readonly path: string | undefined,
    private readonly onChange: (cfg: MinerConfig, previous: MinerConfig) => void,
    private readonly log: (msg: string) => void,
    private readonly pollMs = 2000,
  ) {
    this.current = { ...DEFAULT_CONFIG };
    if (!path) {
      log(`config: MINER_CONFIG not set, using defaults (${describeConfig(this.current)})`);
      return;
    }
    this.reload(true);
  }

  /** Reads the file again; returns true when the config changed. */
  reload(first = false): boolean {
    if (!this.path) return false;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (this.lastText !== `\0${code}`) {
        this.log(`config: cannot read ${this.path} (${code}); ${first ? 'using defaults' : 'keeping the previous settings'} (${describeConfig(this.current)})`);
      }
      this.lastText = `\0${code}`;
      return false;
    }
    if (text === this.lastText) return false;
    this.lastText = text;
    let next: MinerConfig;
    try {
      next = parseConfig(text, this.path);
    } catch (err) {
      this.log(`config: ${(err as Error).message}; ${first ? 'using defaults' : 'keeping the previous settings'} (${describeConfig(this.current)})`);
      return false;
    }
    if (sameConfig(next, this.current) && !first) return false;
    const previous = this.current;
    this.current = next;
    this.log(`config: ${first ? 'loaded' : 'changed'} ${this.path}: ${describeConfig(next)}`);
    if (!first) this.onChange(next, previous);
    return true;
  }

  start(): void {
    if (!this.path) return;
    const name = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), (_event, file) => {
        if (file && file !== name && !String(file).startsWith('..')) return;
        // several events arrive for one save: read once they settle
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.reload(), 100);
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // the poll below still follows the file
    }
    this.timer = setInterval(() => this.reload(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.timer);
    clearTimeout(this.debounce);
  }
}
