// Cgroups of the lab's nodes, set from the engine's machine by a short-lived helper container (so
// it works the same on this machine and on a classroom's other engines):
// - a caged node's root (a user namespace) may make the cgroups its nested engine needs inside
//   its own: the node's cgroup directory and the files that move processes are handed to it, as
//   LXC does; its limit files stay the machine's root's, so it cannot raise its own limits;
// - a lab's CPU: every node of a lab sits under one cgroup of the lab's (CgroupParent), which has
//   the same weight as every other lab's (a fair share of the cores under contention) and, when
//   asked, a cap in cores.
import type Docker from 'dockerode';
import { IMAGES } from '../../images/catalog.js';
import { LABELS } from '../../labels.js';
import { labLabels } from '../names.js';

/**
 * The parent cgroup of a lab's nodes (engines with the cgroupfs driver): one per lab, at the top of
 * the hierarchy. Under one shared parent, a busy lab spends that parent's share at the top level,
 * and a quiet neighbour in the same parent pays for it against this machine's other processes
 * (docs/decisions.md, "Limits of a classroom lab": what this did and did not fix).
 */
export const labCgroupParent = (lab: string) => `/devcoin-lab-${lab}`;

/**
 * The helper's script. For each PID: the container's root as this machine sees it (its uid_map);
 * in a user namespace, its cgroup directory in every hierarchy (and on v2 the files delegation
 * needs) is handed to that user. CPU_QUOTA (microseconds per 10 ms, -1 = none) is written on the
 * parent of the first PID's cpu cgroup: the lab's.
 */
export const DELEGATE_SCRIPT = String.raw`
set -eu
root=/host/cgroup
unified() { if [ -f "$root/cgroup.controllers" ]; then echo "$root"; else echo "$root/unified"; fi; }
first=""
for pid in $PIDS; do
  [ -r "/proc/$pid/cgroup" ] || { echo "no process $pid" >&2; exit 3; }
  uid=$(awk '$1 == 0 { print $2 }' "/proc/$pid/uid_map")
  gid=$(awk '$1 == 0 { print $2 }' "/proc/$pid/gid_map")
  while IFS=: read -r _ ctl path; do
    if [ -z "$ctl" ]; then d="$(unified)$path"; else d="$root/$(echo "$ctl" | sed 's/^name=//')$path"; fi
    [ -d "$d" ] || continue
    if [ "$uid" != 0 ]; then
      chown "$uid:$gid" "$d"
      for f in cgroup.procs tasks cgroup.clone_children cgroup.subtree_control cgroup.threads; do
        [ -e "$d/$f" ] && chown "$uid:$gid" "$d/$f"
      done
    fi
    if [ -z "$first" ] && [ "$CPU_QUOTA" != "" ]; then
      lab=$(dirname "$d")
      if [ -f "$lab/cpu.cfs_quota_us" ]; then echo -1 > "$lab/cpu.cfs_quota_us"; echo 10000 > "$lab/cpu.cfs_period_us"; echo "$CPU_QUOTA" > "$lab/cpu.cfs_quota_us"; first=done
      elif [ -f "$lab/cpu.max" ]; then if [ "$CPU_QUOTA" = -1 ]; then echo "max 10000" > "$lab/cpu.max"; else echo "$CPU_QUOTA 10000" > "$lab/cpu.max"; fi; first=done
      fi
    fi
  done < "/proc/$pid/cgroup"
done
echo ok
`;

/**
 * Hands the nodes' cgroups to their roots (caged nodes) and sets the lab's CPU cap (`cpus`, cores;
 * undefined: no cap), in one helper run on the nodes' engine. `ids`: node containers, running.
 */
export async function setNodeCgroups(docker: Docker, lab: string, ids: string[], opts: { caged: boolean; cpus?: number; labCgroup: boolean }): Promise<void> {
  if (!ids.length || (!opts.caged && !opts.labCgroup)) return;
  const pids = await Promise.all(ids.map(async (id) => (await docker.getContainer(id).inspect()).State.Pid));
  // a 10 ms period, not the kernel's 100 ms: a capped lab with many busy processes runs on every
  // core at once until its quota is spent, and a neighbour's keystroke waited out that burst
  // (a p95 of 20 ms against 4 ms quiet, at 100 ms)
  const quota = !opts.labCgroup ? '' : opts.cpus ? String(Math.max(1000, Math.round(opts.cpus * 10_000))) : '-1';
  const helper = await docker.createContainer({
    Image: IMAGES.busybox,
    Cmd: ['sh', '-c', DELEGATE_SCRIPT],
    Env: [`PIDS=${pids.join(' ')}`, `CPU_QUOTA=${quota}`],
    Labels: labLabels(lab, { [LABELS.kind]: 'cgroup-helper' }),
    HostConfig: {
      // the machine's root, its processes and its cgroups: only to chown and write the files above
      UsernsMode: 'host',
      PidMode: 'host',
      CgroupnsMode: 'host',
      Binds: ['/sys/fs/cgroup:/host/cgroup:rw'],
      NetworkMode: 'none',
      AutoRemove: false,
    } as Docker.HostConfig,
  });
  try {
    await helper.start();
    const r = (await helper.wait()) as { StatusCode: number };
    if (r.StatusCode !== 0) {
      const log = String(await helper.logs({ stdout: true, stderr: true, tail: 5 })).replace(/[\x00-\x08]/g, '').trim();
      throw new Error(`could not set the cgroups of lab ${lab}'s nodes (exit ${r.StatusCode}): ${log}`);
    }
  } finally {
    await helper.remove({ force: true }).catch(() => {});
  }
}

/**
 * Removes the lab's own cgroup (labCgroupParent) in every hierarchy once its nodes are gone, with
 * the same helper; rmdir only, so a cgroup that still holds a process stays. Best effort: a lab
 * that is down must not fail on its cgroups (an empty cgroup costs nothing but its name).
 */
export async function removeLabCgroup(docker: Docker, lab: string): Promise<void> {
  const dir = labCgroupParent(lab);
  const helper = await docker
    .createContainer({
      Image: IMAGES.busybox,
      Cmd: ['sh', '-c', `for d in /host/cgroup${dir} /host/cgroup/*${dir}; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done; true`],
      Labels: labLabels(lab, { [LABELS.kind]: 'cgroup-helper' }),
      HostConfig: { UsernsMode: 'host', CgroupnsMode: 'host', Binds: ['/sys/fs/cgroup:/host/cgroup:rw'], NetworkMode: 'none' } as Docker.HostConfig,
    })
    .catch(() => undefined);
  if (!helper) return;
  try {
    await helper.start();
    await helper.wait();
  } catch {
    // best effort (see above)
  } finally {
    await helper.remove({ force: true }).catch(() => {});
  }
}

