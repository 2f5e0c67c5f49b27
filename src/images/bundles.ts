// The stack services' JavaScript bundles: each stack/<service>/src/main.ts becomes one file,
// stack/<service>/dist/<service>.js, with its npm dependencies (ioredis, yaml) inside, so a
// service image needs only Node (and a student can `docker build` it offline inside a lab
// node, where stack/ is mounted read-only). A service with an index.html (the web UI) also gets
// its browser app built by Vite (Vue 3 + Tailwind 4) into dist/public. A bundle whose inputs
// did not change is skipped (a hash file beside it).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stackDir } from '../paths.js';

/** Bump when the way bundles are made changes in a way their sources do not show. */
const BUNDLER_VERSION = 'devcoin-bundles-2';
const SKIP = new Set(['dist', 'node_modules', '.git']);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !SKIP.has(e.name))
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** Hash of everything a service's bundles are made from: its folder (but dist/) and the shared stack/lib. */
function sourcesHash(root: string, service: string): string {
  const h = createHash('sha256').update(BUNDLER_VERSION);
  for (const dir of [join(root, service), join(root, 'lib')]) {
    if (!existsSync(dir)) continue;
    for (const f of filesUnder(dir)) h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

export interface BundleResult {
  built: string[];
  current: string[];
}

async function buildWebApp(dir: string, outDir: string): Promise<void> {
  // loaded only when a web app is built: the CLI should not pay for Vite on every command
  const [{ build: viteBuild }, { default: vue }, { default: tailwind }] = await Promise.all([
    import('vite'),
    import('@vitejs/plugin-vue'),
    import('@tailwindcss/vite'),
  ]);
  await viteBuild({
    root: dir,
    configFile: false,
    logLevel: 'warn',
    base: '/',
    plugins: [vue(), tailwind()],
    build: { outDir, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 1000 },
  });
}

export async function buildBundles(progress: (text: string) => void = () => {}, root = stackDir): Promise<BundleResult> {
  const result: BundleResult = { built: [], current: [] };
  if (!existsSync(root)) return result;
  const services = readdirSync(root).filter((s) => statSync(join(root, s)).isDirectory() && existsSync(join(root, s, 'src', 'main.ts')));
  for (const service of services.sort()) {
    const dist = join(root, service, 'dist');
    const out = join(dist, `${service}.js`);
    const stamp = join(dist, '.sources-hash');
    const webApp = existsSync(join(root, service, 'index.html'));
    const hash = sourcesHash(root, service);
    const outputsThere = existsSync(out) && (!webApp || existsSync(join(dist, 'public', 'index.html')));
    if (outputsThere && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) {
      result.current.push(service);
      continue;
    }
    progress(`bundling ${service}`);
    // a half-written stamp must never vouch for a half-built dist
    rmSync(stamp, { force: true });
    mkdirSync(dist, { recursive: true });
    await build({
      entryPoints: [join(root, service, 'src', 'main.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // some dependencies (ioredis) still call require(); give the ESM bundle one
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      legalComments: 'none',
      logLevel: 'silent',
    });
    if (webApp) {
      progress(`building the ${service} browser app (Vite)`);
      await buildWebApp(join(root, service), join(dist, 'public'));
    }
    writeFileSync(stamp, hash);
    result.built.push(service);
  }
  return result;
}
