// Checks that must fail closed (issue 22), against a fake lab door and a fake manager engine: the
// leak probe names the nodes it could not probe and reads whole service logs; chapter 6 asks the
// api through port 8080 of every node and wants the mesh's 2 web UI replicas; chapter 7 measures
// the miners' rates instead of trusting their configured limit.
import { describe, expect, it } from 'vitest';
import type { Lab, LabNode } from '../../src/lab/index.js';
import type { ExecResult } from '../../src/docker/exec.js';
import { passwordLeaks } from '../../src/workshop/checks/secrets.js';

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
