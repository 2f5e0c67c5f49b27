// A real, non-root user of this machine for the tests that must run the CLI as someone else
// than root: one in the group that owns the engine socket (the `docker` group on Debian), with
// a home of its own under a temp folder. Created by the test, recognised by its comment, and
// removed by the test that created it; a user of that name that the tests did not create is
// never touched.
import { execa, type Result } from 'execa';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { packageRoot } from '../../src/paths.js';

const COMMENT = 'devcoin-workshop test user';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** the group that owns the engine socket, which the user is in */
  socketGroup: string;
}

function passwdEntry(name: string): string[] | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  return line?.split(':');
}

/** The name of the group that owns a unix socket (e.g. /var/run/docker.sock -> docker). */
export function groupOf(path: string): string {
  const gid = statSync(path).gid;
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(gid));
  if (!line) throw new Error(`no group with id ${gid} (owner of ${path})`);
  return line.split(':')[0];
}

/**
 * Creates `name` (or takes it over when an earlier run of these tests left it), in the group of
 * the engine socket, with a fresh home. Throws when a user of that name exists that these
 * tests did not make.
 */
export async function createDockerUser(name: string, socket = '/var/run/docker.sock'): Promise<OsUser> {
  if (process.getuid?.() !== 0) throw new Error('creating a test user needs root');
  const socketGroup = groupOf(socket);
  const existing = passwdEntry(name);
  if (existing && existing[4] !== COMMENT) throw new Error(`a user ${name} exists that these tests did not create; refusing to touch it`);
  if (existing) await removeUser({ name, home: existing[5] } as OsUser);
  const base = mkdtempSync(join(tmpdir(), `${name}-`));
  chmodSync(base, 0o755);
  const home = join(base, 'home');
  // ids from a range of their own: container processes run under small numbers (1000, 10001...),
  // and userdel refuses a user any process still runs as
  const range = ['-K', 'UID_MIN=61000', '-K', 'UID_MAX=61999', '-K', 'GID_MIN=61000', '-K', 'GID_MAX=61999'];
  await execa('useradd', [...range, '--no-create-home', '--home-dir', home, '--shell', '/bin/bash', '--comment', COMMENT, '--groups', socketGroup, name]);
  const [, , uid, gid] = passwdEntry(name)!;
  mkdirSync(home, { mode: 0o700 });
  chownSync(home, Number(uid), Number(gid));
  return { name, uid: Number(uid), gid: Number(gid), home, socketGroup };
}

/**
 * Removes a user these tests created, and its home's folder. Its processes are the tests' to end
 * (by pid): a kill by uid would also hit any container process that runs under the same number.
 */
export async function removeUser(u: Pick<OsUser, 'name' | 'home'>): Promise<void> {
  const entry = passwdEntry(u.name);
  if (!entry || entry[4] !== COMMENT) return;
  const del = await execa('userdel', [u.name], { reject: false });
  if (del.exitCode !== 0) throw new Error(`userdel ${u.name} failed: ${String(del.stderr).trim()}`);
  // the home lives in a folder of its own that the test made (…/<name>-XXXXXX/home)
  const base = dirname(u.home);
  if (base.startsWith(join(tmpdir(), `${u.name}-`))) rmSync(base, { recursive: true, force: true });
}

/** Makes a folder (and its parents up to `home`) owned by the user. */
export function userDir(u: OsUser, path: string, mode = 0o700): string {
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
  chownSync(path, u.uid, u.gid);
  return path;
}

/** `cp -al` (hard links: instant, no space), or a real copy where the two are on different file systems. */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  if ((await execa('cp', ['-al', from, to], { reject: false })).exitCode === 0) return;
  await execa('cp', ['-a', from, to]);
}

/**
 * Where the user can run this package from: the checkout itself when every folder above it
 * lets others through (o+x), else a copy made of hard links in the user's temp folder (CI's
 * clone may live under /root). Hard links cost nothing and the user only reads them.
 */
export async function packageFor(u: OsUser): Promise<string> {
  let ok = true;
  for (let d = packageRoot; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) ok = false;
    if (dirname(d) === d) break;
  }
  if (ok) return packageRoot;
  const copy = join(dirname(u.home), 'pkg');
  if (!existsSync(copy)) {
    mkdirSync(copy, { mode: 0o755 });
    for (const entry of ['bin', 'dist', 'chapters', 'stack', 'images', 'node_modules', 'package.json', 'package-lock.json', 'scripts']) {
      if (existsSync(join(packageRoot, entry))) await linkOrCopy(join(packageRoot, entry), copy + sep);
    }
  }
  return copy;
}

/** A non-root login's PATH (no sbin folders), with this test's node first. */
export const USER_PATH = [...new Set([dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'])].join(':');

/**
 * Runs a command as the user (runuser: HOME, USER, LOGNAME and SHELL from its passwd entry),
 * from its home, with only the environment given here plus a non-root login's PATH.
 */
export function asUser(u: OsUser, cmd: string, args: string[], env: Record<string, string> = {}, timeout = 600_000): Promise<Result> {
  // runuser lives in sbin, which the user's PATH below has not
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p)) ?? 'runuser';
  return execa(runuser, ['-u', u.name, '--', cmd, ...args], {
    reject: false,
    timeout,
    cwd: u.home,
    extendEnv: false,
    env: { PATH: USER_PATH, NO_COLOR: '1', LANG: 'C.UTF-8', ...env },
    stdin: 'ignore',
  }) as Promise<Result>;
}

/** The same user as `asUser` but outside every supplementary group (docker's included): setpriv. */
export function asUserWithoutGroups(u: OsUser, cmd: string, args: string[], env: Record<string, string> = {}, timeout = 120_000): Promise<Result> {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? 'setpriv';
  return execa(setpriv, ['--reuid', String(u.uid), '--regid', String(u.gid), '--clear-groups', '--', cmd, ...args], {
    reject: false,
    timeout,
    cwd: u.home,
    extendEnv: false,
    env: { PATH: USER_PATH, NO_COLOR: '1', LANG: 'C.UTF-8', HOME: u.home, USER: u.name, LOGNAME: u.name, ...env },
    stdin: 'ignore',
  }) as Promise<Result>;
}
