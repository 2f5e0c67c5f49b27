// Runs the real CLI (dist/, built by the test script) as a user would, with its own config dir.
import { execa, type Result } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { IMAGES } from '../../src/images/catalog.js';
import { LAB_VERSION } from '../../src/lab/names.js';

export const bin = join(packageRoot, 'bin', 'devcoin-workshop');

export function tempHome(prefix = 'devcoin-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function cli(args: string[], env: Record<string, string> = {}, timeout = 600_000): Promise<Result> {
  return execa('node', [bin, ...args], {
    reject: false,
    timeout,
    env: { NO_COLOR: '1', ...env },
    stdin: 'ignore',
  }) as Promise<Result>;
}

/** stderr lines that are not progress lines (… / ✓ / ✗), i.e. what a user reads as the error. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() && !/^[…✓✗]/.test(l));
}

/**
 * A stand-in for a built-in lab's node, for tests of what a command does before it talks to the
 * node's engine: a running busybox container with node1's labels, and client certificate files
 * that `openLab` accepts (self-signed; nothing answers on the node's TLS port). Returns the
 * container's id; remove it (force) when done.
 */
export async function fakeLabNode(lab: string, home: string): Promise<string> {
  const dir = join(home, 'labs', lab, 'certs', 'client');
  mkdirSync(dir, { recursive: true });
  await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', `/CN=fake ${lab}`], { cwd: dir });
  copyFileSync(join(dir, 'cert.pem'), join(dir, 'ca.pem'));
  const labels = {
    'io.devcoin.workshop.lab': lab,
    'io.devcoin.workshop.lab-version': LAB_VERSION,
    'io.devcoin.workshop.kind': 'node',
    'io.devcoin.workshop.node': 'node1',
    'io.devcoin.workshop.role': 'manager',
    'io.devcoin.workshop.address': '10.213.250.11',
    'io.devcoin.workshop.port': '1',
  };
  const args = ['run', '-d', '--name', `${lab}-node1-${process.pid}`, ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), IMAGES.busybox, 'sleep', '600'];
  return (await execa('docker', args)).stdout.trim();
}
