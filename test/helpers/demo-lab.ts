// The lab the demo test builds and the negative tests reuse (one lab for both files).
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdirSync } from 'node:fs';

// DEVCOIN_TEST_LAB / DEVCOIN_TEST_HOME point the tests at a lab that is already up (development)
export const DEMO_LAB = process.env.DEVCOIN_TEST_LAB || 'cidemo';
const home = process.env.DEVCOIN_TEST_HOME || join(tmpdir(), 'devcoin-cidemo-home');
mkdirSync(home, { recursive: true });
export const demoEnv = { DEVCOIN_HOME: home };
// the test process itself opens the lab too (certificates live under DEVCOIN_HOME)
process.env.DEVCOIN_HOME = home;

import { expect } from 'vitest';
import type { Lab } from '../../src/lab/index.js';

/** Runs a command on a node; retried a few times, since a swarm just recovered from a lost
 * quorum (or a restart) may still refuse changes for a moment ("node lost leader status"). */
export async function on(lab: Lab, node: string, cmd: string): Promise<string> {
  let r = await lab.exec(node, cmd);
  for (let i = 0; i < 10 && r.exitCode !== 0; i++) {
    await new Promise((res) => setTimeout(res, 2000));
    r = await lab.exec(node, cmd);
  }
  expect(r.exitCode, `${node}: ${cmd}\n${r.stderr}`).toBe(0);
  return r.stdout;
}
