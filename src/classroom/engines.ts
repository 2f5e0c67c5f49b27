// `--engine ENDPOINT` (repeatable): the Docker engines a classroom's labs are spread over, given
// as `lab connect` takes machines: a docker context name, ssh://user@host[:port], or
// tcp://host:port (TLS from the docker CLI's usual files). This checks the syntax, and places the
// labs. The labs on another engine are the lab door's part (issue #13, built by the lead): until
// then the classroom records each lab's engine in the roster and shows it, and labUp runs every
// lab on this machine's engine (see the TODO in classroom.ts).
import { ExitCode, UserError } from '../errors.js';
import { LOCAL_ENGINE, type EngineName } from './roster.js';

const SSH = /^ssh:\/\/(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(?::\d{1,5})?$/;
const TCP = /^tcp:\/\/[A-Za-z0-9.-]+:\d{1,5}$/;
const UNIX = /^unix:\/\/\/[^\s]+$/;
const CONTEXT = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** One `--engine` value, checked: one line and exit 2 when it is none of the forms. */
export function parseEngine(text: string): EngineName {
  const t = text.trim();
  if (SSH.test(t) || UNIX.test(t) || CONTEXT.test(t)) return t;
  if (TCP.test(t)) {
    const port = Number(t.split(':').pop());
    if (port >= 1 && port <= 65535) return t;
  }
  throw new UserError(`"${text}" is not an engine`, 'give a docker context name, ssh://user@host or tcp://host:2376 (repeat --engine for each engine)', ExitCode.usage);
}

/**
 * Which engine each of `n` labs goes to. Without --engine, all on this machine. With engines,
 * by free memory when it is known (most free first, each lab taking `perLabBytes` from its
 * engine), else in turn.
 */
export function placeLabs(n: number, engines: EngineName[], free?: Map<EngineName, number>, perLabBytes = 0): EngineName[] {
  if (!engines.length) return Array.from({ length: n }, () => LOCAL_ENGINE);
  if (!free || !perLabBytes) return Array.from({ length: n }, (_, i) => engines[i % engines.length]);
  const left = new Map(engines.map((e) => [e, free.get(e) ?? 0]));
  return Array.from({ length: n }, () => {
    const best = [...left.entries()].sort((a, b) => b[1] - a[1])[0][0];
    left.set(best, left.get(best)! - perLabBytes);
    return best;
  });
}
