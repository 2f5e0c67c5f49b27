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

/**
 * Each file's time in seconds, in the order the files ended. vitest's startTime of a file comes after
 * its beforeAll (the VM lane's 8 minutes showed as 0 s), so a file that started after the one before
 * it ended counts from that end: files run one at a time there. Files that overlapped (the parallel
 * unit run) count their own span.
 * @param {{ testResults: { name: string, startTime?: number, endTime?: number }[] }} report
 */
export function fileTimes(report) {
  const files = [...(report.testResults ?? [])].filter((f) => f.endTime).sort((a, b) => a.endTime - b.endTime);
  let prevEnd = Infinity;
  return files.map((f) => {
    const from = Math.min(f.startTime ?? f.endTime, prevEnd);
    prevEnd = f.endTime;
    return { name: f.name, seconds: (f.endTime - from) / 1000 };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const paths = process.argv.slice(2).length ? process.argv.slice(2) : ['.vitest-report.json'];
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const file of paths) {
    let report;
    try {
      report = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      // no report (vitest never got to write one) or a torn one: nothing is known to have passed
      process.stderr.write(`count-tests: cannot read ${file}: ${err.message}\n`);
      total.failed += 1;
      continue;
    }
    // each file's time (the integration files dominate CI's time), then the count line last
    for (const f of fileTimes(report)) process.stdout.write(`time: ${f.seconds.toFixed(1).padStart(7)} s  ${String(f.name).replace(process.cwd() + '/', '')}\n`);
    const c = countTests(report);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  }
  console.log(countLine(total));
}
