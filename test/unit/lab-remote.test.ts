// `lab connect` argument parsing: what a user types, and the one-line errors for what is wrong.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEndpoint, parseNodeArgs } from '../../src/lab/remote/spec.js';
import { UserError } from '../../src/errors.js';

const err = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as UserError;
  }
  throw new Error('no error');
};

describe('lab connect arguments', () => {
  it('reads nodeN=ENDPOINT pairs', () => {
    expect(parseNodeArgs(['node1=ssh://me@h1', 'node12=tcp://h:2376', 'node3=box'])).toEqual([
      { name: 'node1', endpoint: 'ssh://me@h1' },
      { name: 'node12', endpoint: 'tcp://h:2376' },
      { name: 'node3', endpoint: 'box' },
    ]);
  });

  it('refuses a pair without a node name, and a node given twice', () => {
    const a = err(() => parseNodeArgs(['ssh://me@h1']));
    expect(a.message).toMatch(/is not NODE=ENDPOINT/);
    expect(a.exitCode).toBe(2);
    expect(err(() => parseNodeArgs(['node1=a', 'node1=b'])).message).toMatch(/node1 is given twice/);
  });

  it('endpoints: ssh and tcp as given (tcp with the TLS files), contexts looked up, the rest refused', () => {
    const tls = { ca: '/c/ca.pem', cert: '/c/cert.pem', key: '/c/key.pem' };
    expect(parseEndpoint('ssh://me@h1')).toMatchObject({ host: 'ssh://me@h1' });
    expect(parseEndpoint('tcp://h:2376', tls)).toMatchObject({ host: 'tcp://h:2376', tls });
    process.env.DOCKER_CONFIG = mkdtempSync(join(tmpdir(), 'devcoin-dockercfg-'));
    expect(err(() => parseEndpoint('nosuchcontext')).message).toMatch(/no docker context named "nosuchcontext"/);
    expect(err(() => parseEndpoint('http://x y')).message).toMatch(/is not an engine address/);
  });
});
