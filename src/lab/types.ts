// What the rest of the program knows about a lab, whichever provider runs it: the built-in one
// (Docker engines in containers on the host engine) or existing engines (`lab connect`). Nothing
// outside src/lab imports a provider: it asks this interface, and the capabilities say what it may ask.
import type Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import type { ExecOptions, ExecResult } from '../docker/exec.js';

export interface LabNode {
  /** node1..nodeN: what the student types */
  name: string;
  /** the role the lab planned for it (the swarm may differ until chapter 2 is done) */
  plannedRole: 'manager' | 'worker';
  /** address on the lab network (what --advertise-addr uses) */
  address: string;
  /** running, exited, missing, unreachable, ... (from the provider) */
  state: string;
  /** host port of its engine's TLS endpoint (built-in lab) */
  port?: number;
  /**
   * How this machine's browser reaches the node's web ports (80, 8080): http://127.0.0.1:PORT/
   * on the built-in lab (published by the host engine), http://ADDRESS:PORT/ on connected machines
   */
  web?: Partial<Record<80 | 8080, string>>;
}

/** What a chapter's catch-up may remove from a lab's machines (chapters/*\/index.ts declare theirs). */
export type CatchUpTouch = 'swarm' | 'compose' | 'services' | 'registry-storage' | 'images' | 'configs' | 'secrets';
export const ALL_TOUCHES: CatchUpTouch[] = ['swarm', 'compose', 'services', 'registry-storage', 'images', 'configs', 'secrets'];

/** An interactive terminal inside a node: a TTY whose bytes go both ways on `stream`. */
export interface Terminal {
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** the shell's exit code once it ends */
  exited: Promise<number>;
}

export interface Lab {
  name: string;
  /** built-in: the lab's machines are containers this tool made; connected: machines it was given */
  kind: 'built-in' | 'connected';
  /** false for connected machines: the tool cannot stop, start or kill a real machine */
  canStopNodes: boolean;
  nodes(): Promise<LabNode[]>;
  /** Runs a shell command on a node as the student would type it there (sh -c). */
  exec(node: string, command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** A shell with a TTY inside the node, never on the host (`lab shell`, the classroom's terminals). */
  terminal(node: string, size?: { cols: number; rows: number }): Promise<Terminal>;
  /** The environment that points a docker CLI at the node's engine (`lab env`). */
  dockerEnv(node: string): Promise<Record<string, string>>;
  /**
   * Whether Swarm's routing mesh (IPVS) works on the lab's machines: the chapters then teach VIPs
   * and ingress ports instead of DNS round robin and host ports.
   */
  routingMesh(): Promise<boolean>;
  /** A dockerode client talking to that node's engine (TLS for the built-in lab). */
  engine(node: string): Promise<Docker>;
  stop(nodes: string[]): Promise<void>;
  /** a machine losing its power: no clean shutdown */
  kill(nodes: string[]): Promise<void>;
  start(nodes: string[]): Promise<void>;
  /**
   * What a catch-up touching `touches` would remove that the lab did not make, one line each:
   * nothing on the built-in lab (its machines are its own); on connected machines, whatever was
   * there before `lab connect`.
   */
  preexisting(touches: CatchUpTouch[]): Promise<string[]>;
}
