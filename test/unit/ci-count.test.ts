// The CI's count line from vitest's JSON report. The fixtures are cut from real vitest 4.1
// reports (test files whose beforeAll or afterAll threw, a file that did not load): vitest
// itself counts the tests a broken hook kept from running as "skipped", not failed.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error a plain .mjs script, no types
import { countTests, countLine } from '../../scripts/count-tests.mjs';

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
});
