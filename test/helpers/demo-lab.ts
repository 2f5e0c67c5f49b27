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
