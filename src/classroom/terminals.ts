// The terminal bridge: a shell with a TTY inside a lab node (the Lab door's terminal(), never a
// shell on this machine) and the WebSockets that show it. One shell per lab and node, shared by
// every tab the student has open on it; the instructor attaches read-only to the same shell
// (a live mirror). Protocol: binary frames are terminal bytes (both ways); a text frame is a JSON
// control message ({"type":"resize","cols":N,"rows":N}) from the student. The last bytes of
// output are kept so a new viewer sees the screen as it is, not a blank one.
import type { WebSocket } from 'ws';
import type { Terminal } from '../lab/index.js';

/** How much output is replayed to a new viewer. */
export const SCROLLBACK_BYTES = 64 * 1024;

export type OpenTerminal = (lab: string, node: string, size: { cols: number; rows: number }) => Promise<Terminal>;

class SharedTerminal {
  readonly writers = new Set<WebSocket>();
  readonly watchers = new Set<WebSocket>();
  private scrollback: Buffer[] = [];
  private size = 0;
  closed = false;

  constructor(
    readonly key: string,
    readonly term: Terminal,
    private onEnd: () => void,
  ) {
    term.stream.on('data', (chunk: Buffer) => this.output(chunk));
    void term.exited.then((code) => this.end(code));
  }

  private output(chunk: Buffer): void {
    this.scrollback.push(chunk);
    this.size += chunk.length;
    while (this.size > SCROLLBACK_BYTES && this.scrollback.length > 1) this.size -= this.scrollback.shift()!.length;
    for (const ws of [...this.writers, ...this.watchers]) if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
  }

  replayTo(ws: WebSocket): void {
    if (this.scrollback.length) ws.send(Buffer.concat(this.scrollback), { binary: true });
  }

  end(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.onEnd();
    const why = JSON.stringify({ type: 'exit', code });
    for (const ws of [...this.writers, ...this.watchers]) {
      if (ws.readyState === ws.OPEN) ws.send(why);
      ws.close(4000, 'the shell ended');
    }
  }

  destroy(): void {
    this.term.stream.destroy();
    this.end(-1);
  }
}

export class TerminalHub {
  private terms = new Map<string, SharedTerminal>();
  private opening = new Map<string, Promise<SharedTerminal>>();

  constructor(private open: OpenTerminal) {}

  private async get(lab: string, node: string, size: { cols: number; rows: number }): Promise<SharedTerminal> {
    const key = `${lab}/${node}`;
    const have = this.terms.get(key);
    if (have && !have.closed) return have;
    let p = this.opening.get(key);
    if (!p) {
      p = this.open(lab, node, size).then((term) => {
        const t = new SharedTerminal(key, term, () => this.terms.delete(key));
        this.terms.set(key, t);
        return t;
      });
      this.opening.set(key, p);
      p.finally(() => this.opening.delete(key)).catch(() => {});
    }
    return p;
  }

  /** The student's socket: keys in, bytes out, resizes. */
  async attachWriter(ws: WebSocket, lab: string, node: string, size = { cols: 80, rows: 24 }): Promise<void> {
    const t = await this.get(lab, node, size);
    t.writers.add(ws);
    t.replayTo(ws);
    await t.term.resize(size.cols, size.rows);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (!t.closed) t.term.stream.write(data);
        return;
      }
      let msg: { type?: string; cols?: number; rows?: number };
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        return; // not ours: ignored
      }
      if (msg.type === 'resize' && Number.isInteger(msg.cols) && Number.isInteger(msg.rows) && msg.cols! > 0 && msg.rows! > 0 && msg.cols! <= 1000 && msg.rows! <= 500) {
        void t.term.resize(msg.cols!, msg.rows!);
      }
    });
    ws.on('close', () => t.writers.delete(ws));
  }

  /** The instructor's socket: bytes out only; whatever it sends is dropped. */
  async attachWatcher(ws: WebSocket, lab: string, node: string): Promise<void> {
    const t = await this.get(lab, node, { cols: 80, rows: 24 });
    t.watchers.add(ws);
    t.replayTo(ws);
    ws.on('close', () => t.watchers.delete(ws));
  }

  /** How many viewers a lab's node has (writers, watchers): for tests and the radar. */
  viewers(lab: string, node: string): { writers: number; watchers: number } {
    const t = this.terms.get(`${lab}/${node}`);
    return { writers: t?.writers.size ?? 0, watchers: t?.watchers.size ?? 0 };
  }

  /** Ends every shell of a lab (before its lab is made again: a repair). */
  closeLab(lab: string): void {
    for (const [key, t] of this.terms) if (key.startsWith(`${lab}/`)) t.destroy();
  }

  closeAll(): void {
    for (const t of this.terms.values()) t.destroy();
  }
}
