// One `lab up` (or `lab down`) at a time per lab: a lock file holding the owner's pid. A lock
// whose process is gone (Ctrl-C, crash) is stale and taken over, so the next call can finish.
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { labDir } from '../paths.js';
import { UserError } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withLabLock<T>(lab: string, what: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(labDir(lab), { recursive: true, mode: 0o700 });
  const file = join(labDir(lab), 'lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid} ${what}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
      const [pidText, ...rest] = readFileSync(file, 'utf8').trim().split(' ');
      const pid = Number(pidText);
      if (pid && pid !== process.pid && alive(pid)) {
        throw new UserError(
          `another \`${rest.join(' ') || 'lab'}\` is running on lab ${lab} (pid ${pid})`,
          'wait for it to finish, or stop it and run this again',
        );
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  const release = () => rmSync(file, { force: true });
  process.once('exit', release);
  try {
    return await fn();
  } finally {
    release();
    process.removeListener('exit', release);
  }
}
