// `lab down --help` (and what `lab connect --help` says of it) tells exactly what goes and what
// stays: it promised that /workshop on connected machines goes, and disconnectLab never did that.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { bin } from '../helpers/cli.js';

const help = async (...args: string[]) => {
  const r = await execa(process.execPath, [bin, ...args, '--help'], { env: { NO_COLOR: '1', COLUMNS: '200' }, stdin: 'ignore' });
  return String(r.stdout).replace(/\s+/g, ' ');
};

describe('lab down, as its help tells it', () => {
  it('says what goes and what stays, for a built-in and for a connected lab', async () => {
    const down = await help('lab', 'down');
    // built-in lab: labDown removes what carries the lab's label, and the certificates
    expect(down).toMatch(/containers, volumes and network carrying the lab's label, and its certificates/);
    expect(down).toMatch(/What stays: the images, the hub cache volume devcoin-hub-cache .*and your progress/);
    // connected lab: disconnectLab removes the shell containers and the connection file, nothing more
    expect(down).toMatch(/lab connect.*: only the shell container on each machine and the connection file/);
    expect(down).toMatch(/\/workshop .* stay/);
  });

  it('lab connect does not promise that lab down removes /workshop', async () => {
    const connect = await help('lab', 'connect');
    expect(connect).not.toMatch(/removes both/);
    expect(connect).toMatch(/`lab down` removes the shell containers; \/workshop stays/);
  });
});
