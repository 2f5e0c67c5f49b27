import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Integration tests share one host engine and one lab (2 cores): run files one at a time, in
// name order (test/unit first, then test/integration/NN-*.test.ts), so the lab comes up once.
class ByName extends BaseSequencer {
  async sort(files: TestSpecification[]) {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
  }
  async shard(files: TestSpecification[]) {
    return files;
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'stack/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 900_000,
    sequence: { sequencer: ByName },
    reporters: ['default'],
  },
});
