import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Files in name order (test/integration/NN-*.test.ts: the lab comes up once and later files reuse
// what earlier ones leave).
class ByName extends BaseSequencer {
  async sort(files: TestSpecification[]) {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
  }
  async shard(files: TestSpecification[]) {
    return files;
  }
}

// Two projects, run one after the other by scripts/test.sh: `unit` needs no engine and runs its
// files in parallel, before any engine work; `integration` shares one engine and one lab on a
// 2-core machine, so its files run one at a time.
export default defineConfig({
  test: {
    reporters: ['default'],
    sequence: { sequencer: ByName },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'stack/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: true,
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
