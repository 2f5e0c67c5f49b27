#!/usr/bin/env node
// Builds the classroom's pages (web/classroom: Vue 3 + Tailwind + xterm.js, by Vite) into
// dist/web/classroom, which the classroom server serves itself: every asset local, no CDN.
// Part of `npm run build`; skipped when its inputs (the sources, the lock file, this script)
// did not change since the last build (a hash file beside the output).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'web', 'classroom');
const out = join(root, 'dist', 'web', 'classroom');
const stamp = join(out, '.inputs-hash');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !['node_modules', 'dist'].includes(e.name))
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

const h = createHash('sha256');
for (const f of [...files(src), join(root, 'package-lock.json'), fileURLToPath(import.meta.url)]) h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
const hash = h.digest('hex');
if (existsSync(join(out, 'index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) process.exit(0);

rmSync(stamp, { force: true });
const [{ build }, { default: vue }, { default: tailwind }] = await Promise.all([import('vite'), import('@vitejs/plugin-vue'), import('@tailwindcss/vite')]);
const t0 = Date.now();
await build({
  root: src,
  configFile: false,
  logLevel: 'warn',
  // the server serves its own assets under /_c/ (the student's web UI owns /assets and /api)
  base: '/_c/',
  plugins: [vue(), tailwind()],
  build: { outDir: out, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 1000, rolldownOptions: { checks: { pluginTimings: false } } },
});
writeFileSync(stamp, hash);
process.stderr.write(`build-web: classroom pages built in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${relative(root, out)}\n`);
