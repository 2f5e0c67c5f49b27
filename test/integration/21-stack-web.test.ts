// The whole DevCoin stack as containers of the real images on the host engine (Redis, two
// miners on two "nodes", api, web UI, HAProxy), and the web UI in a real headless Chromium
// through the proxy: coins rise, the chart draws, miners are grouped by node. Saves the
// screenshot the README shows (docs/webui.png).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Docker from 'dockerode';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../../src/docker/containers.js';
import { IMAGES } from '../../src/images/catalog.js';
import { packageRoot } from '../../src/paths.js';
import { getJson, waitFor } from '../helpers/stack.js';

// the host engine, or the engine DOCKER_HOST names when it is a unix socket (an engine of one's own)
const socketPath = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
const docker = new Docker({ socketPath });
const prefix = `devcoin-webtest-${process.pid}`;
const network = `${prefix}-net`;
const made: string[] = [];
let port = 0;
let base = '';
let browser: Browser;
let page: Page;

async function run(name: string, image: string, alias: string, opts: Partial<Docker.ContainerCreateOptions> = {}): Promise<Docker.Container> {
  const { HostConfig, ...rest } = opts;
  const c = await docker.createContainer({
    name: `${prefix}-${name}`,
    Image: image,
    ...rest,
    HostConfig: { NetworkMode: network, ...HostConfig },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [alias] } } },
  });
  made.push(c.id);
  await c.start();
  return c;
}

beforeAll(async () => {
  for (const image of [IMAGES.redis, IMAGES.proxy, IMAGES.miner, IMAGES.api, IMAGES.webui]) {
    await docker.getImage(image).inspect().catch(() => {
      throw new Error(`${image} is not built: run devcoin-workshop setup first`);
    });
  }
  await docker.createNetwork({ Name: network });
  // difficulty 4: a coin every fraction of a second, so the page changes while we look
  const dir = mkdtempSync(join(tmpdir(), 'devcoin-webtest-'));
  writeFileSync(join(dir, 'miner.yml'), 'difficulty: 4\nspeedLimit: 200000\nthreads: 1\nreportInterval: 1\n');
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'miner.yml'), 0o644);
  await run('redis', IMAGES.redis, 'redis');
  for (const node of ['node-a', 'node-b']) {
    await run(`miner-${node}`, IMAGES.miner, 'miner', {
      Env: [`NODE_NAME=${node}`, 'MINER_CONFIG=/etc/devcoin/miner.yml'],
      HostConfig: { Binds: [`${dir}/miner.yml:/etc/devcoin/miner.yml:ro`] },
    });
  }
  await run('api', IMAGES.api, 'api');
  await run('webui', IMAGES.webui, 'webui');
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  await run('proxy', IMAGES.proxy, 'proxy', {
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
  });
  await waitFor(async () => (await getJson(`${base}/healthz`)).status === 200, 60_000, 'the api healthy through the proxy');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    // no sandbox: the tests run as root in a container; the rest keeps Chromium off the network
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  await Promise.all(made.map((id) => docker.getContainer(id).remove({ force: true, v: true }).catch(() => {})));
  await docker.getNetwork(network).remove().catch(() => {});
});

const coinsShown = async () => Number(((await page.getByTestId('coin-count').textContent()) ?? '').replace(/[^0-9]/g, '') || -1);

describe('the web UI behind the proxy, in headless Chromium', () => {
  it('the proxy routes / to the web UI and /api to the api; only the proxy publishes a port', async () => {
    const html = await (await fetch(`${base}/`)).text();
    expect(html).toMatch(/<title>DevCoin<\/title>/);
    const stats = await getJson(`${base}/api/stats`);
    expect(stats.status).toBe(200);
    expect(stats.body).toHaveProperty('coins');
    for (const id of made) {
      const info = await docker.getContainer(id).inspect();
      const published = Object.values(info.HostConfig.PortBindings ?? {}).flat().filter(Boolean);
      expect(published.length, info.Name).toBe(info.Name.endsWith('-proxy') ? 1 : 0);
    }
  });

  it('loads, goes live, and the coin count rises', async () => {
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.getByTestId('link-state').getByText('live').waitFor({ timeout: 20_000 });
    await waitFor(async () => (await coinsShown()) > 0, 30_000, 'a coin count on the page');
    const first = await coinsShown();
    await waitFor(async () => (await coinsShown()) > first, 30_000, `the count to rise above ${first}`);
  });

  it('lists the miners grouped by node', async () => {
    await waitFor(async () => (await page.getByTestId('miner-node').count()) === 2, 20_000, 'two node groups');
    const nodes = await page.getByTestId('miner-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')));
    expect(nodes.sort()).toEqual(['node-a', 'node-b']);
    expect(await page.getByTestId('miner').count()).toBe(2);
    expect(((await page.getByTestId('miner-count').textContent()) ?? '').trim()).toBe('2');
    // each miner shows its version: the image's, built with the Dockerfile's default (v1)
    expect(await page.getByTestId('miner-version').allTextContents()).toEqual(['v1', 'v1']);
  });

  it('draws the hash-rate chart from the live history', async () => {
    await page.getByTestId('chart-line').waitFor({ timeout: 20_000 });
    const points = await page.getByTestId('chart-line').getAttribute('points');
    const ys = (points ?? '').trim().split(/\s+/).map((p) => Number(p.split(',')[1]));
    expect(ys.length).toBeGreaterThan(10);
    // not a flat line at the bottom: some seconds have hashes
    expect(new Set(ys).size).toBeGreaterThan(1);
    // let a few more seconds of history fill in, then keep the picture for the README
    await page.waitForTimeout(8000);
    await page.screenshot({ path: join(packageRoot, 'docs', 'webui.png'), fullPage: true });
  });

  it('says "API unreachable" when the api is gone, and comes back live', async () => {
    const api = made[3];
    await docker.getContainer(api).stop({ t: 2 });
    await page.getByTestId('state-unreachable').waitFor({ timeout: 30_000 }).catch(async () => {
      // HAProxy answers 503 for a backend with no server: the page may call that "redis" or "unreachable"
      await page.getByTestId('link-state').getByText(/unreachable|unavailable/).waitFor({ timeout: 10_000 });
    });
    await docker.getContainer(api).start();
    await page.getByTestId('link-state').getByText('live').waitFor({ timeout: 40_000 });
  });
});
