// The CI's count line from vitest's JSON report. The fixtures are cut from real vitest 4.1
// reports (test files whose beforeAll or afterAll threw, a file that did not load): vitest
// itself counts the tests a broken hook kept from running as "skipped", not failed.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error a plain .mjs script, no types
import { countTests, countLine, fileTimes } from '../../scripts/count-tests.mjs';

const t = (title: string, status: string) => ({ ancestorTitles: [], fullName: title, title, status, failureMessages: [] });

const report = {
  // what vitest says of the same run: 2 passed, 1 failed, 4 pending, 1 todo
  numPassedTests: 3,
  numFailedTests: 1,
  numPendingTests: 4,
  numTodoTests: 1,
  testResults: [
    // beforeAll threw: status failed, a message, the tests "skipped"
    { name: '/x/a.test.ts', status: 'failed', message: 'setup broke', assertionResults: [t('one', 'skipped'), t('two', 'skipped')] },
    // afterAll threw after one test passed and one failed; the skip is in a failed file
    { name: '/x/b.test.ts', status: 'failed', message: 'teardown broke', assertionResults: [t('ok', 'passed'), t('skipped on purpose', 'skipped'), t('bad', 'failed')] },
    // did not load: no tests at all
    { name: '/x/c.test.ts', status: 'failed', message: "Cannot find module './missing-module.js'", assertionResults: [] },
    // a describe's beforeAll threw (empty message), a todo beside it
    { name: '/x/d.test.ts', status: 'failed', message: '', assertionResults: [t('x', 'skipped'), t('outer ok', 'passed'), t('later', 'todo')] },
    // afterAll threw after every test passed
    { name: '/x/e.test.ts', status: 'failed', message: 'teardown broke', assertionResults: [t('ok', 'passed')] },
    // a good file with a skip: the skip is only a skip
    { name: '/x/f.test.ts', status: 'passed', message: '', assertionResults: [t('fine', 'passed'), t('later', 'skipped'), t('pending', 'pending')] },
  ],
};

describe('CI count line', () => {
  it('counts every test that did not pass in a failed file as failed, and a failed file with none as one', () => {
    // a: 2, b: skip + bad, c: 1 (no tests), d: x + later, e: 1 (all passed, its afterAll threw) = 8
    expect(countTests(report)).toEqual({ passed: 4, failed: 8, skipped: 2 });
    expect(countLine(countTests(report))).toBe('4 passed, 8 failed, 2 skipped');
  });

  it('a clean run is all passed', () => {
    expect(countLine(countTests({ testResults: [{ status: 'passed', assertionResults: [t('a', 'passed'), t('b', 'passed')] }] }))).toBe('2 passed, 0 failed');
  });

  it('the script prints the line, and "0 passed, 1 failed" when there is no report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcoin-count-'));
    const file = join(dir, 'report.json');
    writeFileSync(file, JSON.stringify(report));
    expect(execFileSync('node', ['scripts/count-tests.mjs', file], { encoding: 'utf8' })).toBe('4 passed, 8 failed, 2 skipped\n');
    expect(execFileSync('node', ['scripts/count-tests.mjs', join(dir, 'absent.json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).toBe('0 passed, 1 failed\n');
  });

  it('adds up the unit and the integration reports, and a missing one is a failure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcoin-count-'));
    const unit = join(dir, 'unit.json');
    const integration = join(dir, 'integration.json');
    writeFileSync(unit, JSON.stringify({ testResults: [{ name: '/x/u.test.ts', status: 'passed', startTime: 0, endTime: 10, assertionResults: [t('u', 'passed')] }] }));
    writeFileSync(integration, JSON.stringify(report));
    const out = (files: string[]) => execFileSync('node', ['scripts/count-tests.mjs', ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop();
    expect(out([unit, integration])).toBe('5 passed, 8 failed, 2 skipped');
    expect(out([unit, join(dir, 'absent.json')])).toBe('1 passed, 1 failed');
  });

  it("a file's time counts from the end of the file before it when its start came later (its beforeAll)", () => {
    // sequential: b's startTime is after its beforeAll (what vitest reports), 400 s after a ended
    const seq = { testResults: [
      { name: 'a', startTime: 1_000, endTime: 11_000 },
      { name: 'b', startTime: 411_000, endTime: 411_500 },
    ] };
    expect(fileTimes(seq)).toEqual([{ name: 'a', seconds: 10 }, { name: 'b', seconds: 400.5 }]);
    // parallel files overlap: each counts its own span
    const par = { testResults: [
      { name: 'p', startTime: 0, endTime: 5_000 },
      { name: 'q', startTime: 1_000, endTime: 3_000 },
    ] };
    expect(fileTimes(par)).toEqual([{ name: 'q', seconds: 2 }, { name: 'p', seconds: 5 }]);
  });
});
