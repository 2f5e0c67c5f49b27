// Running a command inside a container (a lab node, a service task) through the engine API:
// to the end with its output (execIn), or as an interactive terminal (openTty).
import type Docker from 'dockerode';
import { PassThrough, type Duplex } from 'node:stream';
import { sleep, withTimeout } from '../retry.js';

export interface ExecOptions {
  /** written to the command's stdin, then closed (how secrets reach a command without argv) */
  stdin?: string | Buffer;
  env?: string[];
  workdir?: string;
  user?: string;
  /** called with each chunk as it arrives (live output for run/demo) */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** give up after this many ms (the exec keeps running in the container) */
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function execIn(
  docker: Docker,
  containerId: string,
  cmd: string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const container = docker.getContainer(containerId);
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: opts.stdin !== undefined,
    Env: opts.env,
    WorkingDir: opts.workdir,
    User: opts.user,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: opts.stdin !== undefined });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (b: Buffer) => {
    out.push(b);
    opts.onStdout?.(b);
  });
  stderr.on('data', (b: Buffer) => {
    err.push(b);
    opts.onStderr?.(b);
  });
  splitStreams(docker, stream, stdout, stderr);
  if (opts.stdin !== undefined) {
    stream.write(opts.stdin);
    // half-close so the command sees EOF on stdin while we keep reading its output
    (stream as unknown as { end: () => void }).end();
  }
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  if (opts.timeoutMs) await withTimeout(finished, opts.timeoutMs, `command timed out after ${opts.timeoutMs} ms: ${cmd.join(' ')}`);
  else await finished;
  return {
    exitCode: await exitCodeOf(exec),
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

/**
 * Docker's multiplexed stream (stdout and stderr of a container without a TTY, framed with an
 * 8-byte header each) into two streams: the one way here to split it.
 */
export function splitStreams(docker: Docker, stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
  docker.modem.demuxStream(stream, stdout, stderr);
}

/** The exit code of a finished exec; it is set a moment after its stream ends. */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  let info = await exec.inspect();
  for (let i = 0; i < 20 && info.Running; i++) {
    await sleep(50);
    info = await exec.inspect();
  }
  return info.ExitCode ?? -1;
}

export interface Tty {
  /** raw terminal bytes both ways (a TTY's output is not multiplexed) */
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  exited: Promise<number>;
}

/** An interactive command with a TTY in a container (a shell), resizable, through the engine API. */
export async function openTty(
  docker: Docker,
  containerId: string,
  cmd: string[],
  opts: { cols?: number; rows?: number; env?: string[]; workdir?: string } = {},
): Promise<Tty> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: cmd,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    Env: ['TERM=xterm-256color', ...(opts.env ?? [])],
    WorkingDir: opts.workdir,
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as unknown as Duplex;
  const resize = async (cols: number, rows: number) => {
    if (cols > 0 && rows > 0) await exec.resize({ w: Math.floor(cols), h: Math.floor(rows) }).catch(() => {});
  };
  if (opts.cols && opts.rows) await resize(opts.cols, opts.rows);
  const exited = new Promise<number>((resolve) => {
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      exitCodeOf(exec).then(resolve, () => resolve(-1));
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  });
  return { stream, resize, exited };
}
