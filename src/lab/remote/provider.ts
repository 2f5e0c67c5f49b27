// Connected machines as the rest of the program sees them (the Lab interface): each node is an
// existing engine; commands and terminals run in the shell container `lab connect` left there.
import type Docker from 'dockerode';
import { dirname } from 'node:path';
import { answerWithin, clientFor, type Endpoint } from '../../docker/engine.js';
import { execIn, openTty, type ExecOptions, type ExecResult } from '../../docker/exec.js';
import { ExitCode, UserError } from '../../errors.js';
import { withTimeout } from '../../retry.js';
import { routingMeshAvailable } from '../../docker/ipvs.js';
import type { CatchUpTouch, Lab, LabNode, Terminal } from '../types.js';
import { preexisting, takeInventory } from './inventory.js';
import { readSpec, shellName, type RemoteNode, type RemoteSpec } from './spec.js';

export class RemoteLab implements Lab {
  readonly kind = 'connected' as const;
  readonly canStopNodes = false;
  private readonly spec: RemoteSpec;
  private clients = new Map<string, Docker>();

  constructor(readonly name: string) {
    this.spec = readSpec(name);
  }

  private node(name: string): RemoteNode {
    const n = this.spec.nodes.find((x) => x.name === name);
    if (!n) throw new UserError(`lab ${this.name} has no node "${name}"`, `its nodes are ${this.spec.nodes.map((x) => x.name).join(', ')}`, ExitCode.usage);
    return n;
  }

  async engine(node: string): Promise<Docker> {
    const n = this.node(node);
    let d = this.clients.get(node);
    if (!d) {
      d = clientFor(n.endpoint);
      this.clients.set(node, d);
    }
    return d;
  }

  async nodes(): Promise<LabNode[]> {
    return Promise.all(
      this.spec.nodes.map(async (n) => {
        let state = 'running';
        try {
          await withTimeout((await this.engine(n.name)).ping(), answerWithin(n.endpoint, 3000));
        } catch {
          state = 'unreachable';
        }
        // a real machine: the browser goes to its own address (nothing is published for it)
        return { name: n.name, plannedRole: n.role, address: n.address, state, web: { 80: `http://${n.address}/`, 8080: `http://${n.address}:8080/` } };
      }),
    );
  }

  /** The machine's engine, or one line naming the endpoint that does not answer. */
  private async answering(node: string): Promise<Docker> {
    const n = this.node(node);
    const docker = await this.engine(node);
    try {
      await withTimeout(docker.ping(), answerWithin(n.endpoint, 5000));
    } catch (err) {
      // over ssh, ssh's own reason (a refused key, a changed host key) says what to fix
      const why = (err as { code?: string }).code === 'ESSH' ? `: ${(err as Error).message}` : '';
      throw new UserError(`${node} does not answer at ${n.endpoint.source}${why}`, 'check that the machine and its Docker engine are up');
    }
    return docker;
  }

  async exec(node: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return execIn(await this.answering(node), shellName(this.name), ['sh', '-c', command], opts);
  }

  /** A shell in the machine's shell container, its prompt naming the node. */
  async terminal(node: string, size?: { cols: number; rows: number }): Promise<Terminal> {
    const docker = await this.answering(node);
    return openTty(docker, shellName(this.name), ['sh'], { ...size, env: [`PS1=${node}:\\w$ `] });
  }

  /** The machine's own engine endpoint, as it was given to `lab connect`. */
  async dockerEnv(node: string): Promise<Record<string, string>> {
    const ep: Endpoint = this.node(node).endpoint;
    return ep.tls ? { DOCKER_HOST: ep.host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dirname(ep.tls.ca) } : { DOCKER_HOST: ep.host };
  }

  /** Asked of node1's machine: a room's machines are alike (the chapters assume one form for all). */
  async routingMesh(): Promise<boolean> {
    return routingMeshAvailable(await this.answering(this.spec.nodes[0].name));
  }

  async preexisting(touches: CatchUpTouch[]): Promise<string[]> {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const n of this.spec.nodes) {
      // a connection made before inventories existed: everything on the machine may be the user's
      if (!n.before) {
        out.push(`${n.name}: unknown (connected by an older version: lab down, then lab connect again)`);
        continue;
      }
      const now = await takeInventory(await this.engine(n.name)).catch(() => undefined);
      if (!now) throw new UserError(`${n.name} does not answer at ${n.endpoint.source}`, 'check that the machine and its Docker engine are up');
      // swarm objects (services, secrets, configs) are the cluster's: listed once
      for (const line of preexisting(n.name, touches, n.before, now)) {
        const key = line.replace(/^node\d+: (service|secret|config) /, 'cluster: $1 ');
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(line);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    throw new UserError(`the nodes of lab ${this.name} are real machines`, 'stop them yourself');
  }

  async kill(): Promise<void> {
    throw new UserError(`the nodes of lab ${this.name} are real machines`, 'stop them yourself');
  }

  async start(nodes: string[]): Promise<void> {
    const down = (await this.nodes()).filter((n) => nodes.includes(n.name) && n.state !== 'running');
    if (down.length) throw new UserError(`${down.map((n) => n.name).join(', ')} not answering`, 'start those machines (and their Docker engines) yourself');
  }
}
