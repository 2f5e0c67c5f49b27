// The proof of work: find a nonce so that sha256(prev + minerId + nonce), in hex, starts with
// `difficulty` zeros. The inner loop is the whole cost of the miner, so it avoids building a
// string per attempt: the prefix sits in a buffer and the decimal nonce is incremented in
// place; crypto.hash with hex output is the fastest SHA-256 call Node 20 has (LAB-NOTES).
import { hash } from 'node:crypto';

const ZERO = 48; // '0'
const NINE = 57; // '9'

export interface Found {
  prev: string;
  nonce: string;
  hash: string;
}

export interface RunResult {
  /** nonces tried */
  hashes: number;
  found?: Found;
}

export function leadingZeros(hex: string, difficulty: number): boolean {
  for (let i = 0; i < difficulty; i++) if (hex.charCodeAt(i) !== ZERO) return false;
  return true;
}

/** The check anyone can run on a stored coin. */
export function isValidCoin(coin: { prev: string; miner: string; nonce: string; hash: string }, difficulty: number): boolean {
  const h = hash('sha256', coin.prev + coin.miner + coin.nonce);
  return h === coin.hash && leadingZeros(h, difficulty);
}

export class PowSearch {
  private buf: Buffer;
  private prefixLen = 0;
  private len = 0;
  private view: Buffer;
  private prev = '';

  constructor(
    private readonly minerId: string,
    prev: string,
  ) {
    this.buf = Buffer.alloc(0);
    this.view = this.buf;
    this.reset(prev);
  }

  /** Starts a new search after `prev` (the previous coin's hash), nonce 0. */
  reset(prev: string): void {
    this.prev = prev;
    const prefix = Buffer.from(prev + this.minerId, 'utf8');
    // room for a nonce of 24 digits, more than any run will reach
    this.buf = Buffer.alloc(prefix.length + 24);
    prefix.copy(this.buf);
    this.prefixLen = prefix.length;
    this.buf[this.prefixLen] = ZERO;
    this.len = this.prefixLen + 1;
    this.view = this.buf.subarray(0, this.len);
  }

  get nonce(): string {
    return this.buf.toString('latin1', this.prefixLen, this.len);
  }

  /** Tries up to `n` nonces (the current one first); stops at the first coin. */
  run(n: number, difficulty: number): RunResult {
    const buf = this.buf;
    const start = this.prefixLen;
    for (let i = 0; i < n; i++) {
      const h = hash('sha256', this.view);
      if (h.charCodeAt(0) === ZERO && leadingZeros(h, difficulty)) {
        const found = { prev: this.prev, nonce: this.nonce, hash: h };
        this.reset(h);
        return { hashes: i + 1, found };
      }
      // nonce + 1, in decimal digits, in place
      let j = this.len - 1;
      while (j >= start && buf[j] === NINE) buf[j--] = ZERO;
      if (j < start) {
        buf.copyWithin(start + 1, start, this.len);
        buf[start] = ZERO + 1;
        this.len++;
        this.view = buf.subarray(0, this.len);
      } else buf[j]++;
    }
    return { hashes: n };
  }
}

/** Hashes for about `seconds` on this thread with no limit and no Redis: hashes per second. */
export function benchmark(seconds: number, difficulty = 64): { hashes: number; seconds: number; hashesPerSecond: number } {
  // difficulty 64 can never be met, so every attempt is counted and nothing else happens
  const search = new PowSearch('bench-miner', hash('sha256', 'bench'));
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  let hashes = 0;
  let now = t0;
  while (now < end) {
    hashes += search.run(50_000, difficulty).hashes;
    now = process.hrtime.bigint();
  }
  const secs = Number(now - t0) / 1e9;
  return { hashes, seconds: secs, hashesPerSecond: Math.round(hashes / secs) };
}
