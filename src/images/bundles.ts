// The stack services' JavaScript bundles: each stack/<service>/src/main.ts becomes one file,
// stack/<service>/dist/<service>.js, with its npm dependencies inside, so a service image
// needs only Node (and a student can `docker build` it offline inside a lab node). A bundle
// whose sources did not change is skipped (a hash file beside it).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stackDir } from '../paths.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** Hash of a service's sources and of the shared stack/lib, if there is one. */
function sourcesHash(root: string, service: string): string {
  const h = createHash('sha256');
  for (const dir of [join(root, service, 'src'), join(root, 'lib')]) {
    if (!existsSync(dir)) continue;
    for (const f of filesUnder(dir)) h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

export interface BundleResult {
  built: string[];
  current: string[];
}

export async function buildBundles(progress: (text: string) => void = () => {}, root = stackDir): Promise<BundleResult> {
  const result: BundleResult = { built: [], current: [] };
  if (!existsSync(root)) return result;
  const services = readdirSync(root).filter((s) => existsSync(join(root, s, 'src', 'main.ts')) && statSync(join(root, s)).isDirectory());
  for (const service of services.sort()) {
    const out = join(root, service, 'dist', `${service}.js`);
    const stamp = join(root, service, 'dist', '.sources-hash');
    const hash = sourcesHash(root, service);
    if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) {
      result.current.push(service);
      continue;
    }
    progress(`bundling ${service}`);
    mkdirSync(join(root, service, 'dist'), { recursive: true });
    await build({
      entryPoints: [join(root, service, 'src', 'main.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // some dependencies still call require(); give ESM bundles one
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      legalComments: 'none',
      logLevel: 'silent',
    });
    writeFileSync(stamp, hash);
    result.built.push(service);
  }
  return result;
}
