// Looks for the Redis password where it must never be. The password itself is read from the
// secret file inside the redis task and only ever held in memory here: never printed, never
// put on a command line (probes search with the password on stdin).
import type { Lab } from '../../lab/index.js';
import { nodeOfTask } from '../../swarm/index.js';

const REDIS = 'devcoin_redis';

export async function redisPassword(lab: Lab): Promise<string | undefined> {
  const node = await nodeOfTask(lab, REDIS);
  if (!node) return undefined;
  const r = await lab.exec(node, `docker exec $(docker ps -q --filter label=com.docker.swarm.service.name=${REDIS} | head -1) cat /run/secrets/redis_password`);
  const pw = r.stdout.replace(/\r?\n$/, '');
  return r.exitCode === 0 && pw ? pw : undefined;
}

export interface LeakReport {
  /** where the password was found */
  leaks: string[];
  /** probes that could not run or saw nothing at all: a leak there cannot be ruled out */
  unprobed: string[];
}

/**
 * Where the password shows up: service inspect and whole service logs (asked of node1), and on
 * every node container inspect plus every process's argv and environment in its containers; a
 * node that is not running is reported as not probed. The pattern
 * reaches grep through stdin and a file, so the password never sits in a process's argv during
 * the probe. A probe fails closed: a producer that exits non-zero or prints nothing at all is
 * reported as unprobed, never as "no leak".
 */
export async function passwordLeaks(lab: Lab, password: string): Promise<LeakReport> {
  const report: LeakReport = { leaks: [], unprobed: [] };
  const probe = async (node: string, what: string, producer: string) => {
    // the password arrives on stdin and is parked in a 0600 file on the node's memory-only /run;
    // the producer's output stays on that node, only its exit code and counts come back
    const r = await lab.exec(
      node,
      `f=$(umask 077; mktemp /run/devcoin-probe.XXXXXX) && o=$(umask 077; mktemp /run/devcoin-out.XXXXXX) || exit 9; ` +
        `cat > "$f"; (${producer}) > "$o" 2>&1; rc=$?; n=$(grep -c -F -f "$f" "$o"); b=$(wc -c < "$o"); rm -f "$f" "$o"; echo "$rc $n $b"`,
      { stdin: password + '\n' },
    ).catch((err: Error) => ({ exitCode: -1, stdout: '', stderr: err.message }));
    const m = /^(\d+) (\d+) (\d+)\s*$/.exec(r.stdout.trim());
    if (r.exitCode !== 0 || !m) return report.unprobed.push(`${what} on ${node} (the probe did not run: ${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.exitCode}`})`);
    const [rc, hits, bytes] = m.slice(1).map(Number);
    if (hits > 0) report.leaks.push(`${what} on ${node}`);
    else if (rc !== 0) report.unprobed.push(`${what} on ${node} (exit ${rc})`);
    else if (bytes === 0) report.unprobed.push(`${what} on ${node} (no output to search)`);
  };
  await probe('node1', 'docker service inspect', 'ids=$(docker service ls -q) && [ -n "$ids" ] && docker service inspect $ids');
  // every line each service ever logged, not only the last ones: a password logged once at start
  // up and followed by 2,000 lines of mining is still a leak
  await probe('node1', 'service logs', `ids=$(docker service ls --filter label=com.docker.stack.namespace=devcoin -q) && [ -n "$ids" ] || exit 1; for s in $ids; do docker service logs --raw $s || exit 1; done`);
  const all = await lab.nodes();
  if (!all.length) report.unprobed.push('every node (the lab lists none)');
  // a node that is not running cannot be probed, and what it holds (its containers' inspect
  // output, their environment once started again) may leak: a failure that says so, not a pass
  for (const n of all.filter((x) => x.state !== 'running')) report.unprobed.push(`${n.name} (${n.state}: not probed)`);
  const nodes = all.filter((n) => n.state === 'running').map((n) => n.name);
  for (const node of nodes) {
    await probe(node, 'docker inspect', 'ids=$(docker ps -aq) && [ -n "$ids" ] && docker inspect $ids');
    // every process of every running container: its command line and its environment (a
    // container that stopped between the listing and the exec has no process left to probe)
    await probe(
      node,
      'process argv/environ',
      `ids=$(docker ps -q) || exit 1; [ -n "$ids" ] || { echo "no container"; exit 0; }; for c in $ids; do docker exec -u 0 $c sh -c 'for p in /proc/[0-9]*; do cat $p/cmdline $p/environ 2>/dev/null; echo; done | tr "\\0" "\\n"; test -r /proc/1/environ' || [ "$(docker inspect -f '{{.State.Running}}' $c 2>/dev/null)" != true ] || exit 1; done`,
    );
  }
  return report;
}
