// Checks that must fail closed (issue 22), against a fake lab door and a fake manager engine: the
// leak probe names the nodes it could not probe and reads whole service logs; chapter 6 asks the
// api through port 8080 of every node and wants the mesh's 2 web UI replicas; chapter 7 measures
// the miners' rates instead of trusting their configured limit.
import { describe, expect, it } from 'vitest';
import type { Lab, LabNode } from '../../src/lab/index.js';
import type { ExecResult } from '../../src/docker/exec.js';
import { passwordLeaks } from '../../src/workshop/checks/secrets.js';
import { checks as stackChecks } from '../../chapters/06-stack/index.js';

const node = (name: string, state = 'running'): LabNode => ({ name, plannedRole: name <= 'node3' ? 'manager' : 'worker', address: '10.0.0.1', state });
const five = (stopped: string[] = []) => ['node1', 'node2', 'node3', 'node4', 'node5'].map((n) => node(n, stopped.includes(n) ? 'exited' : 'running'));

interface FakeService {
  name: string;
  global?: boolean;
  replicas?: number;
  running: number;
}

/** A lab whose execs answer with `handler` and whose manager lists `services` and their tasks. */
function fakeLab(handler: (node: string, cmd: string) => ExecResult, nodes: LabNode[], services: FakeService[] = [], log: string[] = []): Lab {
  const spec = (s: FakeService) => ({ ID: s.name, Spec: { Name: s.name, Mode: s.global ? { Global: {} } : { Replicated: { Replicas: s.replicas ?? s.running } } } });
  const engine = {
    info: async () => ({ Swarm: { ControlAvailable: true } }),
    listNodes: async () => [],
    listServices: async (o?: { filters?: { name?: string[] } }) => services.filter((s) => !o?.filters?.name || o.filters.name.includes(s.name)).map(spec),
    listTasks: async (o: { filters: { service: string[] } }) => {
      const s = services.find((x) => x.name === o.filters.service[0]);
      return Array.from({ length: s?.running ?? 0 }, (_, i) => ({ ID: `${s!.name}.${i}`, NodeID: `n${i}`, DesiredState: 'running', Status: { State: 'running' } }));
    },
  };
  return {
    name: 'fake', kind: 'built-in', canStopNodes: true,
    nodes: async () => nodes,
    exec: async (n, cmd) => { log.push(`${n}: ${cmd}`); return handler(n, cmd); },
    engine: async () => engine as never,
    terminal: async () => { throw new Error('no terminal in unit tests'); },
    dockerEnv: async () => ({}),
    routingMesh: async () => false,
    preexisting: async () => [],
    stop: async () => {}, kill: async () => {}, start: async () => {},
  };
}

describe('no-leak fails closed', () => {
  const clean: ExecResult = { exitCode: 0, stdout: '0 0 120\n', stderr: '' };

  it('a stopped node is reported as not probed, a failure that says so, and the running ones are probed', async () => {
    const log: string[] = [];
    const r = await passwordLeaks(fakeLab(() => clean, five(['node4']), [], log), 'pw');
    expect(r.leaks).toEqual([]);
    // before: node4 was left out of the probes and out of the report, so no-leak passed
    expect(r.unprobed).toEqual(['node4 (exited: not probed)']);
    const probed = new Set(log.map((l) => l.split(':')[0]));
    expect([...probed].sort()).toEqual(['node1', 'node2', 'node3', 'node5']);
  });

  it('a lab that lists no node is not a clean lab', async () => {
    const r = await passwordLeaks(fakeLab(() => clean, []), 'pw');
    expect(r.unprobed).toEqual(['every node (the lab lists none)']);
  });

  it('reads every service log whole, not its last 2,000 lines', async () => {
    const log: string[] = [];
    await passwordLeaks(fakeLab(() => clean, [node('node1')], [], log), 'pw');
    const logs = log.filter((l) => l.includes('docker service logs'));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/docker service logs --raw \$s /);
    expect(logs[0]).not.toMatch(/--tail/);
  });
});

describe("chapter 6's coins-rising asks every node", () => {
  const coinsRising = stackChecks.find((c) => c.id === 'coins-rising')!;
  const now = 1_000_000;
  const stats = (miners: number) => `${JSON.stringify({ miners, coins: 40, hashRate10s: 1_500_000, time: now })}\n200`;
  const coins = `${JSON.stringify([{ time: now - 2000 }])}\n200`;
  /** node1's curl answers for the hosts in `answering`, nothing for the others */
  const answers = (answering: string[]) => (_n: string, cmd: string): ExecResult => {
    const host = /http:\/\/([^/:]+):8080\//.exec(cmd)?.[1];
    if (!host || !answering.includes(host)) return { exitCode: 7, stdout: '', stderr: '' };
    return { exitCode: 0, stdout: cmd.includes('/api/coins') ? coins : stats(6), stderr: '' };
  };
  const miners = [{ name: 'devcoin_miner', replicas: 6, running: 6 }];

  it('passes when port 8080 of each of the five nodes answers with 6 miners hashing', async () => {
    const log: string[] = [];
    const r = await coinsRising.run(fakeLab(answers(['localhost', 'node2', 'node3', 'node4', 'node5']), five(), miners, log));
    expect(r).toMatchObject({ ok: true, detail: expect.stringMatching(/^6 miners, 40 coins .* \(asked through port 8080 of node1, node2, node3, node4, node5\)$/) });
    for (const h of ['localhost', 'node2', 'node3', 'node4', 'node5']) expect(log.some((l) => l.includes(`http://${h}:8080/api/stats`))).toBe(true);
  });

  it('fails, naming the node, when one node does not answer (before: only node1:8080 was asked, and this passed)', async () => {
    const r = await coinsRising.run(fakeLab(answers(['localhost', 'node2', 'node4', 'node5']), five(), miners));
    expect(r.ok).toBe(false);
    expect(r.detail).toBe('http://node3:8080/api/stats answers nothing (through port 8080 of node3; answering: node1, node2, node4, node5)');
  });

  it('fails on a node that is not running: it was not asked', async () => {
    const r = await coinsRising.run(fakeLab(answers(['localhost', 'node2', 'node3', 'node4', 'node5']), five(['node5']), miners));
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^node5 is exited: not asked \(through port 8080 of node5; answering: node1, node2, node3, node4\)$/);
  });
});

describe("chapter 6's stack-converged in the mesh form wants the web UI's 2 replicas", () => {
  const converged = stackChecks.find((c) => c.id === 'stack-converged')!;
  const stack = (webui: FakeService) => [
    { name: 'devcoin_redis', running: 1 }, { name: 'devcoin_api', running: 1 }, { name: 'devcoin_miner', running: 6 }, webui,
  ];
  const lab = (webui: FakeService) => fakeLab(() => ({ exitCode: 0, stdout: '', stderr: '' }), five(), stack(webui));

  it('2/2 replicated passes; 1/1 and 3/3 fail (before: any replica count passed)', async () => {
    expect((await converged.run(lab({ name: 'devcoin_webui', replicas: 2, running: 2 }))).ok).toBe(true);
    expect(await converged.run(lab({ name: 'devcoin_webui', replicas: 1, running: 1 }))).toMatchObject({ ok: false, detail: 'redis 1, api 1, miner 6, webui 1' });
    expect(await converged.run(lab({ name: 'devcoin_webui', replicas: 3, running: 3 }))).toMatchObject({ ok: false, detail: 'redis 1, api 1, miner 6, webui 3' });
  });

  it('global (the dnsrr form) still wants one task on each of the 5 nodes', async () => {
    expect((await converged.run(lab({ name: 'devcoin_webui', global: true, running: 5 }))).ok).toBe(true);
    expect((await converged.run(lab({ name: 'devcoin_webui', global: true, running: 4 }))).ok).toBe(false);
  });
});
