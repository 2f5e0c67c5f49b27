// Hosts that cannot route to container addresses (Docker Desktop, WSL) open the web UI through a
// 127.0.0.1 port of the host. On the demo's lab, right after the demo (chapter 10's end state):
// each node publishes its ports 80 and 8080 on 127.0.0.1 only, `lab ls` gives node1's URL, and
// the host GETs the DevCoin page there. (Chapter 1's `run` printing it: 42-negative's compose test.)
import { describe, it, expect } from 'vitest';
import Docker from 'dockerode';
import { cli } from '../helpers/cli.js';
import { DEMO_LAB, demoEnv } from '../helpers/demo-lab.js';

// the host engine, or the engine DOCKER_HOST names when it is a unix socket (an engine of one's own)
const socketPath = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
const host = new Docker({ socketPath });

describe('the web UI from the host, through 127.0.0.1', () => {
  it('each node publishes its ports 80 and 8080 on 127.0.0.1 only, remembered in its labels', async () => {
    const cs = await host.listContainers({ all: true, filters: JSON.stringify({ label: [`io.devcoin.workshop.lab=${DEMO_LAB}`, 'io.devcoin.workshop.kind=node'] }) } as object);
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

  it('lab ls gives the URL of node1 port 80, and the host GETs the DevCoin page and its api there', async () => {
    const r = await cli(['--lab', DEMO_LAB, '--json', 'lab', 'ls'], demoEnv);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const ls = JSON.parse(String(r.stdout)) as { webUi: string; webUi8080: string; nodes: { name: string; web: Record<string, string> }[] };
    const node1 = (await host.getContainer(`${DEMO_LAB}-node1`).inspect()).Config.Labels;
    const url = `http://127.0.0.1:${node1['io.devcoin.workshop.web-port']}/`;
    expect(ls.webUi).toBe(url);
    expect(ls.webUi8080).toBe(`http://127.0.0.1:${node1['io.devcoin.workshop.web8080-port']}/`);
    expect(ls.nodes.find((n) => n.name === 'node1')!.web['80']).toBe(url);
    const text = await cli(['--lab', DEMO_LAB, 'lab', 'ls'], demoEnv);
    expect(String(text.stdout).trim().split('\n').at(-1)).toBe(`web UI: ${url} (node1's port 80: chapters 1 and 7-10); ${ls.webUi8080} (node1's port 8080: chapter 6)`);
    // the end of chapter 10 (as of chapter 8): the proxy on port 80 serves the page and the api, two miners
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<title>DevCoin<\/title>/);
    // the api counts miners by their recent reports: on a loaded machine a report may be late for
    // a moment, so ask for a while before saying the count is wrong
    let stats = { miners: -1 };
    for (let i = 0; i < 30 && stats.miners !== 2; i++) {
      if (i) await new Promise((r) => setTimeout(r, 1000));
      stats = (await (await fetch(`${url}api/stats`, { signal: AbortSignal.timeout(10_000) })).json()) as { miners: number };
    }
    expect(stats.miners).toBe(2);
    // and Prometheus, through the same door (chapter 10): ready, and scraping both miners
    const ready = await fetch(`${url}prometheus/-/ready`, { signal: AbortSignal.timeout(10_000) });
    expect(ready.status).toBe(200);
    const up = (await (await fetch(`${url}prometheus/api/v1/query?query=${encodeURIComponent('count(up{job="miner"} == 1)')}`, { signal: AbortSignal.timeout(10_000) })).json()) as { data: { result: { value: [number, string] }[] } };
    expect(up.data.result[0]?.value[1]).toBe('2');
    // chapter 7 took the published port away from the web UI: 8080 answers no more
    const gone = await fetch(ls.webUi8080, { signal: AbortSignal.timeout(5000) }).then((x) => x.status, (e: Error) => e.message);
    expect(gone).not.toBe(200);
  });
});
