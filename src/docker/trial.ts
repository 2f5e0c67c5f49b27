// Short-lived containers the tool starts to find something out (doctor's trials, probes).
// Each is labelled, named with a random suffix, and removed when done; ones left behind by an
// interrupted run are removed by the next (removeStaleTrials).
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { execIn } from './exec.js';
import { createDindContainer, dindHostConfig } from './dind.js';
import { LABELS } from '../labels.js';
import { sleep, withTimeout } from '../retry.js';

/** Marks a trial container; the value says which part of the tool made it. */
/** A lab finds its parts by this label (src/lab/types.ts): a trial must never carry it. */

/**
 * The labels of a trial container: its own, never a lab's. A trial that carried a lab's label
 * would count as that lab's part: a concurrent `lab up` refused the lab as "made by another
 * version", and `lab down` removed the trial from under doctor.
 */
export function trialLabels(kind: string, extra: Record<string, string> = {}): Record<string, string> {
  const labels: Record<string, string> = { ...extra, [LABELS.trial]: kind };
  delete labels[LABELS.lab];
  return labels;
}

export function trialName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface RunOnceOptions {
  image: string;
  /** replaces the image's entrypoint and command */
  cmd: string[];
  name?: string;
  labels?: Record<string, string>;
  hostConfig?: Docker.HostConfig;
  timeoutMs?: number;
}

export interface RunOnceResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function removeQuietly(container: Docker.Container): Promise<void> {
  await container.remove({ force: true, v: true }).catch(() => {});
}

/** Runs a command in a new container to its end (like `docker run --rm`), output collected. */
export async function runOnce(docker: Docker, opts: RunOnceOptions): Promise<RunOnceResult> {
  const container = await docker.createContainer({
    name: opts.name,
    Image: opts.image,
    Entrypoint: [opts.cmd[0]],
    Cmd: opts.cmd.slice(1),
    Labels: trialLabels(opts.labels?.[LABELS.trial] ?? 'probe', opts.labels),
    HostConfig: opts.hostConfig,
    AttachStdout: false,
    AttachStderr: false,
  });
  try {
    await container.start();
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const status = (await withTimeout(container.wait(), timeoutMs, `${opts.cmd.join(' ')} did not finish in ${timeoutMs} ms`)) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const { stdout, stderr } = demux(docker, logs);
    return { exitCode: status.StatusCode, stdout, stderr };
  } finally {
    await removeQuietly(container);
  }
}

/** Splits a non-TTY log buffer into stdout and stderr. */
function demux(docker: Docker, buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const o = new PassThrough();
  const e = new PassThrough();
  o.on('data', (b: Buffer) => out.push(b));
  e.on('data', (b: Buffer) => err.push(b));
  const src = new PassThrough();
  docker.modem.demuxStream(src, o, e);
  src.end(buf);
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/**
 * Removes trial containers an interrupted run left behind (only ours: by label). Trials live
 * for a minute at most, so younger ones may belong to a run going on right now: kept.
 */
export async function removeStaleTrials(docker: Docker, kind?: string, olderThanSeconds = 180): Promise<number> {
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [kind ? `${LABELS.trial}=${kind}` : LABELS.trial] }),
  } as object);
  const stale = list.filter((c) => Date.now() / 1000 - c.Created > olderThanSeconds);
  for (const c of stale) await removeQuietly(docker.getContainer(c.Id));
  return stale.length;
}

export interface NestedTrialResult {
  ok: boolean;
  /** the nested engine's version when it answered */
  version?: string;
  seconds: number;
  /** why not, in one line */
  error?: string;
  name: string;
}

/**
 * Starts a lab node container with the dind flags, waits until `docker version` answers inside
 * it, then removes it: the real test of whether this host can run the lab.
 */
export async function nestedEngineTrial(
  docker: Docker,
  opts: { image: string; timeoutMs?: number; prefix?: string },
): Promise<NestedTrialResult> {
  const started = Date.now();
  const name = trialName(opts.prefix ?? 'devcoin-doctor-trial');
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  const deadline = started + (opts.timeoutMs ?? 60_000);
  let container: Docker.Container | undefined;
  try {
    container = await createDindContainer(docker, {
      name,
      Image: opts.image,
      Labels: trialLabels('nested-engine'),
      HostConfig: dindHostConfig(),
    });
    await container.start();
    let last = '';
    while (Date.now() < deadline) {
      const info = await container.inspect();
      if (!info.State.Running) {
        const logs = ((await container.logs({ stdout: true, stderr: true, tail: 5 })) as unknown as Buffer).toString('utf8');
        const lastLine = demuxLast(logs);
        return { ok: false, seconds: seconds(), name, error: `the node container stopped (exit ${info.State.ExitCode}): ${lastLine}` };
      }
      const r = await execIn(docker, info.Id, ['docker', 'version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 }).catch(
        (err: Error) => ({ exitCode: -1, stdout: '', stderr: err.message }),
      );
      if (r.exitCode === 0 && r.stdout.trim()) return { ok: true, version: r.stdout.trim(), seconds: seconds(), name };
      last = (r.stderr || r.stdout).trim().split('\n').at(-1) ?? '';
      await sleep(300);
    }
    return { ok: false, seconds: seconds(), name, error: `the nested engine did not answer in ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s: ${last}` };
  } catch (err) {
    return { ok: false, seconds: seconds(), name, error: (err as Error).message.split('\n')[0] };
  } finally {
    if (container) await removeQuietly(container);
  }
}

/** Last readable line of a raw (multiplexed) log buffer. */
function demuxLast(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = raw.replace(/[\x00-\x08\x0e-\x1f]/g, '').split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? '';
}
