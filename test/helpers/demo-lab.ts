// The lab the demo test builds and the negative tests reuse (one lab for both files).
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdirSync } from 'node:fs';

export const DEMO_LAB = 'cidemo';
const home = join(tmpdir(), 'devcoin-cidemo-home');
mkdirSync(home, { recursive: true });
export const demoEnv = { DEVCOIN_HOME: home };
// the test process itself opens the lab too (certificates live under DEVCOIN_HOME)
process.env.DEVCOIN_HOME = home;
