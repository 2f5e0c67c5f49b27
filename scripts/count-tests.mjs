#!/usr/bin/env node
// The CI's count line, `N passed, N failed`, from vitest's JSON report (.vitest-report.json).
// vitest counts only the tests that ran and failed. A file whose beforeAll/afterAll threw
// has status "failed" and a `message`, and its tests that never ran are "skipped" (or
// "pending"/"todo"); a file that did not load has no tests at all. So: in a failed file, every
// test that did not pass is a failure, and a failed file where none did (a broken afterAll
// after passing tests, a file that did not load) is one failure.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @param {{ testResults: { status: string, message?: string, assertionResults: { status: string }[] }[] }} report */
export function countTests(report) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const file of report.testResults ?? []) {
    const tests = file.assertionResults ?? [];
    const ok = tests.filter((t) => t.status === 'passed').length;
    passed += ok;
    if (file.status === 'failed') {
      failed += Math.max(1, tests.length - ok);
    } else {
      failed += tests.filter((t) => t.status === 'failed').length;
      skipped += tests.filter((t) => t.status !== 'passed' && t.status !== 'failed').length;
    }
  }
  return { passed, failed, skipped };
}

export function countLine({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? '.vitest-report.json';
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    // no report (vitest never got to write one) or a torn one: nothing is known to have passed
    process.stderr.write(`count-tests: cannot read ${file}: ${err.message}\n`);
    console.log('0 passed, 1 failed');
    process.exit(0);
  }
  // each file's time (the integration files dominate CI's time), then the count line last
  for (const f of report.testResults ?? []) {
    const secs = ((f.endTime ?? 0) - (f.startTime ?? 0)) / 1000;
    if (secs > 0) process.stdout.write(`time: ${secs.toFixed(1).padStart(7)} s  ${String(f.name).replace(process.cwd() + '/', '')}\n`);
  }
  console.log(countLine(countTests(report)));
}
