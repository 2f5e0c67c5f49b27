// Issue #15: hosts that cannot route to container addresses (Docker Desktop, WSL) open the web
// UI through a 127.0.0.1 port of the host. On this machine's real lab: each node publishes its
// ports 80 and 8080 on 127.0.0.1 only, chapter 1's compose stack answers there with the DevCoin
// page, and `lab ls`, `run` and `next` give that URL.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Docker from 'dockerode';
import { cli, tempHome } from '../helpers/cli.js';

const LAB = 'hosts';
const home = tempHome('devcoin-hosts-');
const env = { DEVCOIN_HOME: home };
const host = new Docker({ socketPath: '/var/run/docker.sock' });
let url = '';

beforeAll(async () => {
  await cli(['--lab', LAB, 'lab', 'down'], env);
  const up = await cli(['--lab', LAB, 'lab', 'up'], env);
  expect(up.exitCode, String(up.stderr)).toBe(0);
});

afterAll(async () => {
  await cli(['--lab', LAB, 'lab', 'down'], env);
});

describe('the web UI from the host, through 127.0.0.1', () => {
  it("each node publishes its ports 80 and 8080 on 127.0.0.1 only, remembered in its labels", async () => {
    const cs = await host.listContainers({ all: true, filters: JSON.stringify({ label: [`io.devcoin.workshop.lab=${LAB}`, 'io.devcoin.workshop.kind=node'] }) } as object);
    expect(cs).toHaveLength(5);
    for (const c of cs) {
      const info = await host.getContainer(c.Id).inspect();
      const bindings = info.HostConfig.PortBindings as Record<string, { HostIp: string; HostPort: string }[]>;
      expect(bindings['80/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: c.Labels['io.devcoin.workshop.web-port'] }]);
      expect(bindings['8080/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: c.Labels['io.devcoin.workshop.web8080-port'] }]);
      // what the engine really bound: 127.0.0.1 only, the port the label says
      const seen = info.NetworkSettings.Ports['80/tcp'] ?? [];
      expect(seen.map((b) => `${b.HostIp}:${b.HostPort}`)).toEqual([`127.0.0.1:${c.Labels['io.devcoin.workshop.web-port']}`]);
    }
    const ports = cs.flatMap((c) => [c.Labels['io.devcoin.workshop.port'], c.Labels['io.devcoin.workshop.web-port'], c.Labels['io.devcoin.workshop.web8080-port']]);
    expect(new Set(ports).size).toBe(15);
  });

  it('lab ls gives the URL of node1 port 80, in JSON and in its last line', async () => {
    const r = await cli(['--lab', LAB, '--json', 'lab', 'ls'], env);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const ls = JSON.parse(String(r.stdout)) as { webUi: string; webUi8080: string; nodes: { name: string; web: Record<string, string> }[] };
    const node1 = (await host.getContainer(`${LAB}-node1`).inspect()).Config.Labels;
    url = `http://127.0.0.1:${node1['io.devcoin.workshop.web-port']}/`;
    expect(ls.webUi).toBe(url);
    expect(ls.webUi8080).toBe(`http://127.0.0.1:${node1['io.devcoin.workshop.web8080-port']}/`);
    expect(ls.nodes.find((n) => n.name === 'node1')!.web['80']).toBe(url);
    const text = await cli(['--lab', LAB, 'lab', 'ls'], env);
    expect(String(text.stdout).trim().split('\n').at(-1)).toBe(`web UI: ${url} (node1's port 80: chapters 1, 7 and 8); ${ls.webUi8080} (node1's port 8080: chapter 6)`);
  });

  it('after chapter 1 (goto compose, run compose) the host GETs the DevCoin page at that URL, and run says where', async () => {
    const goto = await cli(['--lab', LAB, 'goto', 'compose'], env);
    expect(goto.exitCode, String(goto.stderr)).toBe(0);
    // nothing listens behind the port before the stack is up: the URL is the stack's, not the node's
    const before = await fetch(url, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, (e: Error) => e.message);
    expect(before).not.toBe(200);
    const run = await cli(['--lab', LAB, 'run', 'compose'], env);
    expect(run.exitCode, String(run.stdout) + String(run.stderr)).toBe(0);
    expect(String(run.stdout)).toContain(`web UI: open ${url} in this machine's browser`);
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<title>DevCoin<\/title>/);
    // and the api behind the same door: the three miners of the chapter
    const stats = (await (await fetch(`${url}api/stats`, { signal: AbortSignal.timeout(10_000) })).json()) as { miners: number };
    expect(stats.miners).toBe(3);
    const json = await cli(['--lab', LAB, '--json', 'run', 'compose'], env);
    expect(json.exitCode, String(json.stderr)).toBe(0);
    expect((JSON.parse(String(json.stdout)) as { webUi: string }).webUi).toBe(url);
  });

  it('next, once compose verifies, says where the web UI it left running is', async () => {
    const r = await cli(['--lab', LAB, 'next'], env);
    expect(r.exitCode, String(r.stdout) + String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain(`web UI: open ${url} in this machine's browser (what compose left running)`);
  });

  it('chapters 6, 7 and 8: the URL each leaves running serves the DevCoin page to the host (6 on 8080, 7 and 8 on 80)', async () => {
    const ls = JSON.parse(String((await cli(['--lab', LAB, '--json', 'lab', 'ls'], env)).stdout)) as { webUi: string; webUi8080: string };
    const page = async (u: string) => {
      const res = await fetch(u, { signal: AbortSignal.timeout(10_000) });
      return `${res.status} ${(await res.text()).match(/<title>[^<]*<\/title>/)?.[0] ?? 'no title'}`;
    };
    // chapter 2 starts by taking chapter 1's compose stack down (its catch-up does that); the
    // catch-ups of chapters 3-8 leave a compose project alone, and its local network
    // devcoin_private then makes chapter 6's `docker stack deploy` fail ("network with name
    // devcoin_private already exists"): a bug of those catch-ups, reported, not this test's topic
    const swarm = await cli(['--lab', LAB, 'goto', 'swarm'], env);
    expect(swarm.exitCode, String(swarm.stdout) + String(swarm.stderr)).toBe(0);
    const goto = await cli(['--lab', LAB, 'goto', 'stack'], env);
    expect(goto.exitCode, String(goto.stdout) + String(goto.stderr)).toBe(0);
    for (const [chapter, url] of [['stack', ls.webUi8080], ['proxy', ls.webUi], ['secrets', ls.webUi]] as const) {
      const run = await cli(['--lab', LAB, 'run', chapter], env);
      expect(run.exitCode, String(run.stdout) + String(run.stderr)).toBe(0);
      expect(String(run.stdout), chapter).toContain(`web UI: open ${url} in this machine's browser`);
      expect(await page(url), `${chapter}: ${url}`).toBe('200 <title>DevCoin</title>');
      const next = await cli(['--lab', LAB, 'next'], env);
      expect(next.exitCode, String(next.stdout) + String(next.stderr)).toBe(0);
      expect(String(next.stdout)).toContain(`web UI: open ${url} in this machine's browser (what ${chapter} left running)`);
    }
    // chapter 7 took the published port away from the web UI: 8080 answers no more
    const gone = await fetch(ls.webUi8080, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, (e: Error) => e.message);
    expect(gone).not.toBe(200);
  }, 900_000);
});
