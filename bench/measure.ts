// Small measuring tools for the benchmarks: repeated runs, medians, timing of commands.
import { execa } from 'execa';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs fn `runs` times and returns every result (the caller quotes the median). */
export async function repeat<T>(runs: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn(i));
  return out;
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** SHA-256 hashes/s of 64-byte inputs on one core, as openssl measures them. */
export async function opensslSha256PerSecond(seconds: number): Promise<number> {
  const { stdout } = await execa('openssl', ['speed', '-seconds', String(seconds), '-bytes', '64', 'sha256'], {
    all: true,
  });
  // "+R:123456:sha256:3.00" is the machine-readable line with -mr; parse the table instead,
  // which every openssl prints: "sha256  <k bytes/s for 64-byte blocks>k"
  const line = stdout.split('\n').find((l) => /^sha256\s/.test(l.trim()));
  if (!line) throw new Error('openssl speed printed no sha256 line');
  const kbytes = parseFloat(line.trim().split(/\s+/).pop()!.replace(/k$/, ''));
  return (kbytes * 1000) / 64;
}
