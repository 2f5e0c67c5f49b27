// Engines reached over ssh (`ssh://user@host[:port]`), the way the docker CLI reaches them: the
// system's `ssh` client runs `docker system dial-stdio` on the machine and its stdin/stdout carry
// the engine API. Using the user's own ssh (not a library) means everything they set up for
// `ssh user@host` applies unchanged: ~/.ssh/config (aliases, ports, users, ProxyJump), their keys
// in ~/.ssh or an ssh-agent (SSH_AUTH_SOCK), and known_hosts, whose host key check is never
// skipped. BatchMode: ssh never prompts (a prompt would fight the spinner and hang without a
// terminal); what it would have asked becomes the one-line error.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Agent, type AgentOptions } from 'node:http';
import { Duplex } from 'node:stream';

/** ssh's arguments for an ssh:// engine address (docker's form: an optional path is the socket). */
export function sshArgs(url: string, connectTimeoutS = 7): string[] {
  const u = new URL(url);
  if (u.protocol !== 'ssh:' || !u.hostname) throw new Error(`not an ssh:// address: ${url}`);
  const args = ['-o', `ConnectTimeout=${connectTimeoutS}`, '-o', 'BatchMode=yes', '-T'];
  if (u.username) args.push('-l', decodeURIComponent(u.username));
  if (u.port) args.push('-p', u.port);
  // [::1] arrives bracketed; ssh wants the bare address
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const socket = decodeURIComponent(u.pathname);
  const remote = socket.replace(/\/+/g, '/') !== '/' && socket !== '' ? ['docker', `--host=unix://${socket}`, 'system', 'dial-stdio'] : ['docker', 'system', 'dial-stdio'];
  return [...args, '--', host, ...remote];
}

/** An ssh failure in one line: ssh's own last word (e.g. "Permission denied (publickey)."). */
export class SshError extends Error {
  readonly code = 'ESSH';
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'SshError';
  }
}

/** The reason in ssh's stderr: its last line that is not a warning about known_hosts. */
export function sshReason(stderr: string, exitCode: number | null): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^Warning: Permanently added/.test(l) && !/^\*\*|^@@/.test(l));
  const last = lines.at(-1);
  if (!last) return exitCode === null ? 'ssh was stopped' : `ssh exited with ${exitCode} and said nothing`;
  // the remote side has no docker CLI: dial-stdio is what docker runs there
  if (exitCode === 127 || /docker: (command )?not found/.test(last)) return `the machine has no docker command (${last})`;
  return last;
}

/**
 * One connection: the ssh process as a socket for the HTTP client. Data before ssh is connected
 * waits in the pipe; if ssh ends without having carried any answer, the stream fails with ssh's
 * reason instead of a bare "socket hang up".
 */
class SshSocket extends Duplex {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  private answered = false;
  readonly remoteAddress: string;

  constructor(args: string[], sshCommand: string) {
    // not half-open: when ssh's output ends, so does this socket (an idle kept one included)
    super({ allowHalfOpen: false });
    this.remoteAddress = args[args.indexOf('--') + 1] ?? '';
    this.child = spawn(sshCommand, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => {
      this.answered = true;
      if (!this.push(b)) this.child.stdout.pause();
    });
    this.child.stderr.on('data', (b: Buffer) => {
      if (this.stderr.length < 8192) this.stderr += b.toString();
    });
    this.child.stdin.on('error', () => {
      /* ssh went away; 'close' below says why */
    });
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      const e = err.code === 'ENOENT' ? new SshError(`no ssh client here (${sshCommand} not found)`, null) : err;
      this.destroy(e);
    });
    this.child.on('close', (code) => {
      if (this.destroyed) return;
      if (!this.answered && code !== 0) this.destroy(new SshError(sshReason(this.stderr, code), code));
      else this.push(null);
    });
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.child.stdin.destroyed) return cb();
    this.child.stdin.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.child.stdin.destroyed || this.child.stdin.writableEnded) return cb();
    this.child.stdin.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    cb(err);
  }

  // what node's HTTP client and agent call on a net.Socket
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(ms: number, cb?: () => void): this {
    if (cb) this.once('timeout', cb);
    clearTimeout(this.idle);
    if (ms > 0) {
      this.idle = setTimeout(() => this.emit('timeout'), ms);
      this.idle.unref();
    }
    return this;
  }
  private idle?: NodeJS.Timeout;
  /** an idle connection kept for the next request must not keep the CLI alive */
  unref(): this {
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    return this;
  }
  ref(): this {
    this.child.ref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { ref?: () => void }).ref?.();
    return this;
  }
}

/**
 * An HTTP agent whose connections are ssh processes. Connections are kept and reused (a new ssh
 * login costs ~0.2 s on a LAN, and a verify makes dozens of requests); an idle one holds neither
 * the process open nor, once the CLI exits, the machine (ssh sees its stdin close and quits).
 */
export function sshAgent(url: string, opts: { sshCommand?: string; connectTimeoutS?: number } & AgentOptions = {}): Agent {
  const args = sshArgs(url, opts.connectTimeoutS);
  const command = opts.sshCommand ?? 'ssh';
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 4, ...opts });
  (agent as unknown as { createConnection: (o: object, cb?: (err: Error | null, s?: Duplex) => void) => Duplex }).createConnection = () =>
    new SshSocket(args, command) as Duplex;
  return agent;
}
