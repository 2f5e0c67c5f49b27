// What each node of a lab uses against its limits, and whether it hit them: read inside the node
// from its own cgroup (a private cgroup namespace: /sys/fs/cgroup is the node's), on cgroup v1 and
// v2 alike, by one short exec per node. A node whose process limit is reached cannot even start
// that exec: it is reported as such, not as a failure of the probe. (A student with root in the
// node could hide their own counters; that only fools their own page.)
import type { Lab } from './types.js';

export interface NodeUsage {
  node: string;
  /** memory in use (the docker CLI's way: without inactive file cache), bytes */
  memory?: number;
  memoryLimit?: number;
  pids?: number;
  pidsLimit?: number;
  /** CPU time used so far, microseconds (two readings give a rate) */
  cpuMicros?: number;
  /** processes the kernel killed in the node for want of memory (since the node started) */
  oomKills: number;
  /** times a fork was refused at the process limit */
  pidsRefused: number;
  /** the node is at its process limit right now: nothing new could start in it */
  atPidsLimit?: boolean;
  /** why the node could not be read, when it could not */
  unreadable?: string;
}

/** Prints `key value` lines; v2 files first, v1 where v2 has none. */
export const USAGE_SCRIPT = String.raw`
c=/sys/fs/cgroup
num() { [ -r "$1" ] && cat "$1" 2>/dev/null | head -1; }
if [ -f $c/cgroup.controllers ]; then
  echo "memory $(num $c/memory.current)"
  echo "memory_limit $(num $c/memory.max)"
  echo "inactive_file $(awk '$1 == "inactive_file" { print $2 }' $c/memory.stat 2>/dev/null)"
  echo "oom_kills $(awk '$1 == "oom_kill" { print $2 }' $c/memory.events 2>/dev/null)"
  echo "pids $(num $c/pids.current)"
  echo "pids_limit $(num $c/pids.max)"
  echo "pids_refused $(awk '$1 == "max" { print $2 }' $c/pids.events 2>/dev/null)"
  echo "cpu_us $(awk '$1 == "usage_usec" { print $2 }' $c/cpu.stat 2>/dev/null)"
else
  echo "memory $(num $c/memory/memory.usage_in_bytes)"
  echo "memory_limit $(num $c/memory/memory.limit_in_bytes)"
  echo "inactive_file $(awk '$1 == "total_inactive_file" { print $2 }' $c/memory/memory.stat 2>/dev/null)"
  echo "oom_kills $(awk '$1 == "oom_kill" { print $2 }' $c/memory/memory.oom_control 2>/dev/null)"
  echo "pids $(num $c/pids/pids.current)"
  echo "pids_limit $(num $c/pids/pids.max)"
  echo "pids_refused $(awk '$1 == "max" { print $2 }' $c/pids/pids.events 2>/dev/null)"
  ns=$(num $c/cpuacct/cpuacct.usage); [ -n "$ns" ] && echo "cpu_us $((ns / 1000))"
fi
`;

/** Reads the usage script's output; a limit of `max` or of 2^62 and more (v1's "none") is no limit. */
export function parseUsage(node: string, text: string): NodeUsage {
  const v = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [k, val] = line.trim().split(/\s+/);
    if (k && val) v.set(k, val);
  }
  const n = (k: string) => (v.has(k) && /^\d+$/.test(v.get(k)!) ? Number(v.get(k)) : undefined);
  const limit = (k: string) => {
    const x = n(k);
    return x !== undefined && x < 2 ** 62 ? x : undefined;
  };
  const mem = n('memory');
  const inactive = n('inactive_file') ?? 0;
  return {
    node,
    memory: mem !== undefined ? Math.max(0, mem - inactive) : undefined,
    memoryLimit: limit('memory_limit'),
    pids: n('pids'),
    pidsLimit: limit('pids_limit'),
    cpuMicros: n('cpu_us'),
    oomKills: n('oom_kills') ?? 0,
    pidsRefused: n('pids_refused') ?? 0,
  };
}

/** Each running node's use and limit events. */
export async function labUsage(lab: Lab): Promise<NodeUsage[]> {
  const nodes = (await lab.nodes()).filter((x) => x.state === 'running');
  return Promise.all(
    nodes.map(async (x): Promise<NodeUsage> => {
      try {
        const r = await lab.exec(x.name, USAGE_SCRIPT, { timeoutMs: 10_000 });
        if (r.exitCode === 0) return parseUsage(x.name, r.stdout);
        const why = `${r.stderr}`.trim().split('\n')[0];
        return { node: x.name, oomKills: 0, pidsRefused: 0, ...(atPidsLimit(why) ? { atPidsLimit: true } : { unreadable: why || `exit ${r.exitCode}` }) };
      } catch (err) {
        const why = (err as Error).message.split('\n')[0];
        return { node: x.name, oomKills: 0, pidsRefused: 0, ...(atPidsLimit(why) ? { atPidsLimit: true } : { unreadable: why }) };
      }
    }),
  );
}

/** An exec that could not start because the node's process limit is reached. */
function atPidsLimit(message: string): boolean {
  return /resource temporarily unavailable|cannot fork|pids? limit|EAGAIN/i.test(message);
}

/**
 * What a student should be told about their nodes since `before` (same node names): one line per
 * node that hit a limit, e.g. "node3 hit its memory limit: a process was killed".
 */
export function limitNews(before: NodeUsage[] | undefined, now: NodeUsage[]): string[] {
  const prev = new Map((before ?? []).map((u) => [u.node, u]));
  const out: string[] = [];
  for (const u of now) {
    const p = prev.get(u.node);
    if (u.oomKills > (p?.oomKills ?? 0)) out.push(`${u.node} hit its memory limit: ${u.oomKills - (p?.oomKills ?? 0) === 1 ? 'a process was' : `${u.oomKills - (p?.oomKills ?? 0)} processes were`} killed`);
    if (u.atPidsLimit && !p?.atPidsLimit) out.push(`${u.node} is at its process limit: nothing new can start there until processes end`);
    else if (u.pidsRefused > (p?.pidsRefused ?? 0)) out.push(`${u.node} hit its process limit (${u.pidsLimit ?? '?'}): new processes were refused`);
  }
  return out;
}
