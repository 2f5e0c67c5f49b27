// Looks for the Redis password where it must never be. The password itself is read from the
// secret file inside the redis task and only ever held in memory here: never printed, never
// put on a command line (probes search with the password on stdin).
import type { Lab } from '../lab/types.js';
import { nodeOfTask } from './swarm-state.js';

const REDIS = 'devcoin_redis';

export async function redisPassword(lab: Lab): Promise<string | undefined> {
  const node = await nodeOfTask(lab, REDIS);
  if (!node) return undefined;
  const r = await lab.exec(node, `docker exec $(docker ps -q --filter label=com.docker.swarm.service.name=${REDIS} | head -1) cat /run/secrets/redis_password`);
  const pw = r.stdout.replace(/\r?\n$/, '');
  return r.exitCode === 0 && pw ? pw : undefined;
}

/**
 * Where the password shows up: service inspect and logs (asked of node1), and container inspect
 * plus every process's argv and environment in each node's containers. The pattern reaches grep
 * through stdin and a file, so the password never sits in a process's argv during the probe.
 */
export async function passwordLeaks(lab: Lab, password: string, opts: { processes?: boolean } = {}): Promise<string[]> {
  const found: string[] = [];
  const probe = async (node: string, what: string, producer: string) => {
    // the password arrives on stdin and is parked in a 0600 file on the node's memory-only /run
    const r = await lab.exec(
      node,
      `f=$(umask 077; mktemp /run/devcoin-probe.XXXXXX); cat > "$f"; (${producer}) 2>&1 | grep -c -F -f "$f"; rm -f "$f"`,
      { stdin: password + '\n' },
    );
    if (Number(r.stdout.trim()) > 0) found.push(`${what} on ${node}`);
  };
  await probe('node1', 'docker service inspect', 'docker service inspect $(docker service ls -q)');
  await probe('node1', 'service logs', `for s in $(docker service ls --filter label=com.docker.stack.namespace=devcoin -q); do docker service logs --raw --tail 2000 $s; done`);
  const nodes = (await lab.nodes()).filter((n) => n.state === 'running').map((n) => n.name);
  for (const node of nodes) {
    await probe(node, 'docker inspect', 'ids=$(docker ps -aq); [ -n "$ids" ] && docker inspect $ids');
    if (opts.processes) {
      await probe(node, 'process argv/environ', `for c in $(docker ps -q); do docker exec $c sh -c 'cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n"'; done`);
    }
  }
  return found;
}
