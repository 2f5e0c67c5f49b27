// Running a command inside a container (a lab node, a service task) through the engine API.
import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';

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
  docker.modem.demuxStream(stream, stdout, stderr);
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
  let timer: NodeJS.Timeout | undefined;
  try {
    if (opts.timeoutMs) {
      await Promise.race([
        finished,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`command timed out after ${opts.timeoutMs} ms: ${cmd.join(' ')}`)), opts.timeoutMs);
        }),
      ]);
    } else {
      await finished;
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
  // the exit code is set a moment after the stream ends
  let info = await exec.inspect();
  for (let i = 0; i < 20 && info.Running; i++) {
    await new Promise((r) => setTimeout(r, 50));
    info = await exec.inspect();
  }
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}
