// How to run a Docker engine inside a container, shared by the lab's nodes and doctor's trial.
// `--privileged` fails on hosts whose bounding set lacks CAP_SYS_RESOURCE, so grant everything
// else explicitly (see docs/decisions.md and shared LAB-NOTES).
import type Docker from 'dockerode';

export function dindHostConfig(): Docker.HostConfig {
  // CgroupnsMode is in the engine API (1.41+) but not in @types/dockerode
  return {
    CapAdd: ['ALL'],
    CapDrop: ['SYS_RESOURCE'],
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    // the CLI's `--security-opt systempaths=unconfined` is these two; the API refuses the option
    MaskedPaths: [],
    ReadonlyPaths: [],
    DeviceCgroupRules: ['a *:* rwm'],
    CgroupnsMode: 'private',
    // /run on tmpfs: a stopped node leaves no stale docker.pid behind
    Tmpfs: { '/run': 'rw,nosuid,nodev,exec,mode=755' },
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
    const { CapDrop: _drop, ...rest } = spec.HostConfig ?? {};
    return docker.createContainer({ ...spec, HostConfig: rest });
  }
}
