// `--engine ENDPOINT` (repeatable): the Docker engines a classroom's labs are spread over, given
// as `lab connect` takes machines: a docker context name, ssh://user@host[:port], tcp://host:port
// (with --tlscacert/--tlscert/--tlskey), or `local` for this machine's engine. This checks what
// people typed, turns a name into the lab door's Endpoint, and places the labs by free memory.
import { ExitCode, UserError } from '../errors.js';
import { classroomEngineEndpoint, engineEndpoint, type Endpoint } from '../lab/index.js';
import { LOCAL_ENGINE, type EngineName } from './roster.js';

export type TlsFiles = NonNullable<Endpoint['tls']>;

const SSH = /^ssh:\/\/(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(?::\d{1,5})?$/;
const TCP = /^tcp:\/\/[A-Za-z0-9.-]+:\d{1,5}$/;
const UNIX = /^unix:\/\/\/[^\s]+$/;
const CONTEXT = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** One `--engine` value, checked: one line and exit 2 when it is none of the forms. */
export function parseEngine(text: string, tls?: TlsFiles): EngineName {
  const t = text.trim();
  if (t === LOCAL_ENGINE) return t;
  const ok = SSH.test(t) || UNIX.test(t) || CONTEXT.test(t) || (TCP.test(t) && Number(t.split(':').pop()) >= 1 && Number(t.split(':').pop()) <= 65535);
  if (ok) {
    endpointOf(t, tls); // a context that does not exist is one line too
    return t;
  }
  throw new UserError(`"${text}" is not an engine`, 'give a docker context name, ssh://user@host or tcp://host:2376 (repeat --engine for each engine)', ExitCode.usage);
}

/**
 * Which engine each of `n` labs goes to. Without --engine, all on this machine. With engines, by
 * free memory when it is known: each lab to the engine with room for the most labs (in whole labs
 * of `perLabBytes`, after those already placed); on a tie, to the engine with fewer labs so far,
 * then the first given. (Two engines of one machine read its free memory a moment apart: a few
 * MiB across a lab's boundary made them differ by one lab, and every lab went to the first.)
 * Without memory figures: in turn.
 */
export function placeLabs(n: number, engines: EngineName[], free?: Map<EngineName, number>, perLabBytes = 0): EngineName[] {
  if (!engines.length) return Array.from({ length: n }, () => LOCAL_ENGINE);
  if (!free || !perLabBytes) return Array.from({ length: n }, (_, i) => engines[i % engines.length]);
  const left = new Map(engines.map((e) => [e, free.get(e) ?? 0]));
  const placed = new Map(engines.map((e) => [e, 0]));
  const room = (e: EngineName) => Math.floor(left.get(e)! / perLabBytes);
  const better = (a: EngineName, b: EngineName) => room(b) > room(a) || (room(b) === room(a) && placed.get(b)! < placed.get(a)!);
  return Array.from({ length: n }, () => {
    const best = engines.reduce((a, b) => (better(a, b) ? b : a));
    left.set(best, left.get(best)! - perLabBytes);
    placed.set(best, placed.get(best)! + 1);
    return best;
  });
}

/** The lab door's Endpoint of an engine of the roster; `local` is the classroom's own caged engine. */
export function endpointOf(name: EngineName, tls?: TlsFiles): Endpoint {
  if (name === LOCAL_ENGINE) return classroomEngineEndpoint();
  return engineEndpoint(name, name.startsWith('tcp://') ? tls : undefined);
}
