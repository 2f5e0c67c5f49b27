// Every image the workshop needs, in build order (parents first). Other parts import IMAGES
// for the names, never spell them out.
import { join } from 'node:path';
import { imagesDir, stackDir } from '../paths.js';

export const IMAGES = {
  base: 'devcoin/base:trixie',
  busybox: 'devcoin/busybox:latest',
  runtime: 'devcoin/runtime:latest',
  node: 'devcoin/node:latest',
  shell: 'devcoin/shell:latest',
  registry: 'devcoin/registry:latest',
  redis: 'devcoin/redis:latest',
  proxy: 'devcoin/proxy:latest',
  prometheus: 'devcoin/prometheus:latest',
  nodeExporter: 'devcoin/node-exporter:latest',
  miner: 'devcoin/miner:latest',
  api: 'devcoin/api:latest',
  webui: 'devcoin/webui:latest',
} as const;

export type ImageKey = keyof typeof IMAGES;

/** Label names the images carry. */

export interface CatalogEntry {
  key: ImageKey;
  /** name:tag */
  name: string;
  /** build context folder */
  context: string;
  /** Dockerfile path relative to the context; for the base, its recipe file */
  dockerfile: string;
  /** the base is not built from a Dockerfile: pulled, or debootstrapped and imported */
  special?: 'base';
  /** true for the stack's own services (their JS bundles must be built first) */
  stack?: boolean;
}

export function catalog(): CatalogEntry[] {
  const img = (key: ImageKey, dir: string): CatalogEntry => ({
    key,
    name: IMAGES[key],
    context: join(imagesDir, dir),
    dockerfile: 'Dockerfile',
  });
  const svc = (key: ImageKey, dir: string): CatalogEntry => ({
    key,
    name: IMAGES[key],
    context: join(stackDir, dir),
    dockerfile: 'Dockerfile',
    stack: true,
  });
  return [
    { key: 'base', name: IMAGES.base, context: join(imagesDir, 'base'), dockerfile: 'recipe.json', special: 'base' },
    img('busybox', 'busybox'),
    img('runtime', 'runtime'),
    img('node', 'node'),
    img('shell', 'shell'),
    img('registry', 'registry'),
    img('redis', 'redis'),
    img('proxy', 'proxy'),
    img('prometheus', 'prometheus'),
    img('nodeExporter', 'node-exporter'),
    svc('miner', 'miner'),
    svc('api', 'api'),
    svc('webui', 'webui'),
  ];
}

/** `devcoin/x` -> `devcoin/x:latest`; names with a tag are unchanged. */
export function withTag(name: string): string {
  const slash = name.lastIndexOf('/');
  return name.indexOf(':', slash + 1) === -1 ? `${name}:latest` : name;
}
