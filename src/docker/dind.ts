// How to run a Docker engine inside a container, shared by the lab's nodes and doctor's trial.
// `--privileged` fails on hosts whose bounding set lacks CAP_SYS_RESOURCE, so grant everything
// else explicitly (see docs/decisions.md and shared LAB-NOTES).
//
// Two forms. On an engine without a user namespace (a single user's `lab up`, doctor's trial) a
// node is root on the machine, as before. On an engine with --userns-remap (the classroom's: the
// cage) the node's root is an unprivileged user of the machine; every capability it keeps is a
// capability over its own namespaces only, and what no chapter needs is dropped as well.
import type Docker from 'dockerode';

/** What a node may take of the machine; undefined: no limit. */
export interface NodeLimits {
  /** memory of one node (its engine and every container in it), MiB; no swap beyond it */
  memoryMiB?: number;
  /** processes and threads of one node */
  pids?: number;
  /** CPU of one node, in cores (where a lab's share cannot be set on a cgroup of its own) */
  cpus?: number;
}

/**
 * Capabilities a caged node gives up although its engine runs: none of them is a namespace's to
 * use (they act on the machine's kernel, clock, raw I/O or power), so the user namespace already
 * refuses them; dropped all the same, so that no kernel bug in their checks is a way out.
 */
export const CAGED_CAP_DROP = ['SYS_RESOURCE', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_TIME', 'SYS_BOOT', 'SYSLOG', 'MAC_ADMIN', 'MAC_OVERRIDE', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_CONTROL'];

/**
 * System calls a caged node is refused (EPERM), whatever its capabilities: kernel modules, kexec
 * and reboot, swap, the kernel log, the clocks, raw port I/O, file handles that reach past a mount
 * (open_by_handle_at), perf and BPF, quotas, userfaultfd and old or removed calls. Everything else is
 * allowed: a nested engine mounts, makes namespaces and runs its own containers under its own
 * seccomp profile. (Docker's default profile refuses keyctl, which the nested runc needs.)
 */
export const CAGED_SECCOMP_DENY = [
  'init_module', 'finit_module', 'delete_module', 'create_module', 'query_module', 'get_kernel_syms',
  'kexec_load', 'kexec_file_load', 'reboot', 'swapon', 'swapoff', 'syslog', 'acct',
  'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex', 'stime',
  'iopl', 'ioperm', 'open_by_handle_at', 'lookup_dcookie', 'perf_event_open', 'bpf', 'fanotify_init',
  'quotactl', 'quotactl_fd', 'nfsservctl', 'uselib', 'vm86', 'vm86old', 'userfaultfd', '_sysctl',
];

export function cagedSeccompProfile(): string {
  return JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: CAGED_SECCOMP_DENY, action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
}

function limitsConfig(l: NodeLimits = {}): Docker.HostConfig {
  const out: Docker.HostConfig = {};
  if (l.memoryMiB) {
    out.Memory = Math.round(l.memoryMiB * 2 ** 20);
    out.MemorySwap = out.Memory; // no swap beyond the limit: the limit is the limit
  }
  if (l.pids) out.PidsLimit = l.pids;
  if (l.cpus) out.NanoCpus = Math.round(l.cpus * 1e9);
  return out;
}

export function dindHostConfig(opts: { caged?: boolean; limits?: NodeLimits } = {}): Docker.HostConfig {
  // CgroupnsMode is in the engine API (1.41+) but not in @types/dockerode
  const common = {
    // the nested engine writes its own network namespace's sysctls (ip_forward, bridge-nf):
    // /proc/sys must be writable; in a user namespace the kernel refuses the machine-wide ones
    // the CLI's `--security-opt systempaths=unconfined` is these two; the API refuses the option
    MaskedPaths: [],
    ReadonlyPaths: [],
    CgroupnsMode: 'private',
    // /run on tmpfs: a stopped node leaves no stale docker.pid behind
    Tmpfs: { '/run': 'rw,nosuid,nodev,exec,mode=755' },
    ...limitsConfig(opts.limits),
  };
  if (opts.caged) {
    return {
      ...common,
      CapAdd: ['ALL'],
      CapDrop: CAGED_CAP_DROP,
      // no device rule: a user namespace cannot make device nodes, and the nested engine's
      // containers get the default devices (null, zero, random, tty, ...) by bind mounts
      SecurityOpt: [`seccomp=${cagedSeccompProfile()}`, 'apparmor=unconfined'],
    } as Docker.HostConfig;
  }
  return {
    ...common,
    CapAdd: ['ALL'],
    CapDrop: ['SYS_RESOURCE'],
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    DeviceCgroupRules: ['a *:* rwm'],
  } as Docker.HostConfig;
}

/**
 * Creates a container that runs an engine. An engine that itself runs in a container of this
 * kind has no CAP_SYS_RESOURCE at all and refuses to drop it ("invalid CapDrop"), while its ALL
 * already leaves it out: there the drop is left off (a classroom's second engine, nested labs).
 */
export async function createDindContainer(docker: Docker, spec: Docker.ContainerCreateOptions): Promise<Docker.Container> {
  try {
    return await docker.createContainer(spec);
  } catch (err) {
    if (!/invalid CapDrop.*SYS_RESOURCE/i.test((err as Error).message ?? '')) throw err;
    const { CapDrop: drop, ...rest } = spec.HostConfig ?? {};
    const left = ((drop ?? []) as string[]).filter((c) => c !== 'SYS_RESOURCE');
    return docker.createContainer({ ...spec, HostConfig: left.length ? { ...rest, CapDrop: left } : rest });
  }
}

/** Whether an engine runs its containers in a user namespace (--userns-remap): the cage. */
export async function runsInUserNamespace(docker: Docker): Promise<boolean> {
  const info = (await docker.info()) as { SecurityOptions?: string[] };
  return (info.SecurityOptions ?? []).some((o) => o === 'name=userns' || o.startsWith('name=userns,'));
}
