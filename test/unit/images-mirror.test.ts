import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectMirror, mirrorFromList, mirrorFromSources } from '../../src/images/mirror.js';

let apt: string;

describe('Debian mirror detection', () => {
  beforeEach(() => {
    apt = mkdtempSync(join(tmpdir(), 'devcoin-apt-test-'));
    mkdirSync(join(apt, 'sources.list.d'));
  });
  afterEach(() => rmSync(apt, { recursive: true, force: true }));

  it('takes the first URIs of a deb822 .sources file, skipping security and deb-src stanzas', () => {
    const text = [
      'Types: deb-src',
      'URIs: http://src.example.test/debian',
      'Suites: bookworm',
      '',
      'Types: deb',
      'URIs: http://security.example.test/debian-security',
      'Suites: bookworm-security',
      '',
      'Types: deb',
      '# a comment',
      'URIs: http://mirror.example.test/debian http://second.example.test/debian',
      'Suites: bookworm',
    ].join('\n');
    expect(mirrorFromSources(text)).toBe('http://mirror.example.test/debian');
  });

  it('takes the first deb line of a sources.list, with or without options', () => {
    const text = '# deb http://old.example.test/debian bookworm main\ndeb-src http://src.example.test/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://list.example.test/debian bookworm main\n';
    expect(mirrorFromList(text)).toBe('http://list.example.test/debian');
  });

  it('prefers --mirror, then DEVCOIN_DEBIAN_MIRROR, then .sources files, then sources.list', () => {
    writeFileSync(join(apt, 'sources.list'), 'deb http://list.example.test/debian bookworm main\n');
    expect(detectMirror(undefined, {}, apt)).toEqual({ url: 'http://list.example.test/debian', source: join(apt, 'sources.list') });
    writeFileSync(join(apt, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: http://deb822.example.test/debian\nSuites: bookworm\n');
    expect(detectMirror(undefined, {}, apt)?.url).toBe('http://deb822.example.test/debian');
    expect(detectMirror(undefined, { DEVCOIN_DEBIAN_MIRROR: 'http://env.example.test/debian' }, apt)?.url).toBe('http://env.example.test/debian');
    expect(detectMirror('http://opt.example.test/debian', { DEVCOIN_DEBIAN_MIRROR: 'http://env.example.test/debian' }, apt)?.source).toBe('--mirror');
  });

  it('finds nothing when apt has no sources', () => {
    expect(detectMirror(undefined, {}, apt)).toBeUndefined();
    expect(detectMirror(undefined, {}, join(apt, 'missing'))).toBeUndefined();
  });
});
