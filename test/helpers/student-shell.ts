// A student's terminal as the classroom page opens it: a WebSocket to /s/<token>/term/<node> with
// the page's origin, keys in as binary frames, the screen's bytes out. `run` types a command line
// and reads its output and exit code from what the terminal shows, as a student would see it.
import WebSocket from 'ws';

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r/g;

export class StudentShell {
  private out = '';
  private ws!: WebSocket;
  private seq = 0;
  private waiters = new Set<() => void>();

  private constructor(readonly url: string) {}

  /** Opens the terminal of `node` for the student whose page is `studentUrl` (http://host:port/s/<token>/). */
  static async open(studentUrl: string, node: string): Promise<StudentShell> {
    const u = new URL(studentUrl);
    const sh = new StudentShell(`${u.origin.replace(/^http/, 'ws')}${u.pathname.replace(/\/$/, '')}/term/${node}`);
    await new Promise<void>((resolve, reject) => {
      sh.ws = new WebSocket(sh.url, { origin: u.origin });
      sh.ws.on('open', () => resolve());
      sh.ws.on('error', reject);
      sh.ws.on('message', (d: Buffer, binary: boolean) => {
        if (!binary) return;
        sh.out += d.toString('utf8');
        for (const w of [...sh.waiters]) w();
      });
    });
    sh.ws.send(JSON.stringify({ type: 'resize', cols: 200, rows: 50 }));
    // as a student does: type once the prompt is there (keys sent before the shell reads are lost)
    const until = Date.now() + 30_000;
    while (!/[$#] $/m.test(sh.screen().trimEnd() + ' ')) {
      if (Date.now() > until) throw new Error(`no prompt in ${node}'s terminal within 30 s; it showed:\n${sh.screen().slice(-500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // and once it reads what is typed: a shell may drop keys typed while it sets up its line
    // editor (seen once in CI: the first command never echoed). Enter on an empty line is
    // harmless; a new prompt after it says the shell reads.
    for (let i = 0; ; i++) {
      const from = sh.out.length;
      sh.type('\r');
      const t = Date.now() + 2000;
      while (Date.now() < t && !/[$#] $/m.test(sh.out.slice(from).replace(ANSI, '').trimEnd() + ' ')) await new Promise((r) => setTimeout(r, 50));
      if (/[$#] $/m.test(sh.out.slice(from).replace(ANSI, '').trimEnd() + ' ')) break;
      if (i >= 15) throw new Error(`${node}'s shell does not answer Enter; it showed:\n${sh.screen().slice(-500)}`);
    }
    return sh;
  }

  /** What the terminal showed so far, without colours. */
  screen(): string {
    return this.out.replace(ANSI, '');
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  /**
   * Types `command` and Enter; resolves with what it printed and its exit code. The end marker is
   * typed split ("@@" "END") so the echo of the typed line never matches it.
   */
  async run(command: string, timeoutMs = 30_000): Promise<{ output: string; code: number }> {
    const n = ++this.seq;
    const from = this.out.length;
    this.type(`${command}; echo "@@""END${n}@@ $?"\r`);
    const end = new RegExp(`@@END${n}@@ (\\d+)`);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const text = this.out.slice(from).replace(ANSI, '');
      const m = end.exec(text);
      if (m) {
        // drop the echoed command line (up to the first newline) and the marker
        const body = text.slice(0, m.index);
        const firstNl = body.indexOf('\n');
        return { output: (firstNl >= 0 ? body.slice(firstNl + 1) : '').trim(), code: Number(m[1]) };
      }
      if (Date.now() > until) throw new Error(`no end of \`${command}\` within ${timeoutMs / 1000} s; the terminal showed:\n${text.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Types one key and resolves with the time until its echo was on screen (ms). */
  async keystroke(ch = 'x', timeoutMs = 10_000): Promise<number> {
    const from = this.out.length;
    let t0 = 0;
    return new Promise<number>((resolve, reject) => {
      const check = () => {
        if (!this.out.slice(from).includes(ch)) return;
        this.waiters.delete(check);
        clearTimeout(t);
        resolve(performance.now() - t0);
      };
      const t = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no echo of a key within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.add(check);
      t0 = performance.now();
      this.type(ch);
    });
  }

  close(): void {
    this.ws.close();
  }
}
