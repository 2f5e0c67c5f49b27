// The memory a classroom places labs by: read from the engine machine's /proc/meminfo.
import { describe, expect, it } from 'vitest';
import { parseMeminfo } from '../../src/docker/memory.js';

describe('engine memory', () => {
  it('reads MemTotal and MemAvailable in bytes', () => {
    const text = 'MemTotal:       24731184 kB\nMemFree:        19000000 kB\nMemAvailable:   19776000 kB\nBuffers:  1 kB\n';
    expect(parseMeminfo(text)).toEqual({ totalBytes: 24731184 * 1024, availableBytes: 19776000 * 1024 });
  });
  it('is undefined when either is missing (an old kernel without MemAvailable): never a guess', () => {
    expect(parseMeminfo('MemTotal: 1000 kB\nMemFree: 500 kB\n')).toBeUndefined();
    expect(parseMeminfo('')).toBeUndefined();
  });
});
