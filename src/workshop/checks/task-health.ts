// The health of a service's running tasks, as each task's engine sees it (Docker's healthcheck
// status of the task's container: starting, healthy or unhealthy), read on the node that runs it.
import type { Lab } from '../../lab/index.js';
import { nodeNames, serviceState } from '../../swarm/index.js';

export interface TaskHealth {
  node: string;
  task: string;
  /** healthy, unhealthy, starting; "none" when the container has no healthcheck; "?" when unread */
  status: string;
  /** the last probe's output when not healthy */
  last?: string;
}

interface ContainerHealth {
  State?: { Health?: { Status?: string; Log?: { Output?: string; ExitCode?: number }[] } };
}

/** The service's healthcheck command from its spec, or undefined when it has none. */
export function healthcheckOf(spec: unknown): string[] | undefined {
  const test = (spec as { TaskTemplate?: { ContainerSpec?: { Healthcheck?: { Test?: string[] } } } } | undefined)?.TaskTemplate?.ContainerSpec?.Healthcheck?.Test;
  if (!test?.length || test[0] === 'NONE') return undefined;
  return test;
}

/** Every running task of `service` with its container's health. */
export async function taskHealth(lab: Lab, service: string): Promise<TaskHealth[]> {
  const s = await serviceState(lab, service);
  const names = await nodeNames(lab);
  const running = s.tasks.filter((t) => t.Status?.State === 'running' && t.DesiredState === 'running');
  return Promise.all(
    running.map(async (t) => {
      const node = names.get(t.NodeID ?? '') ?? '?';
      const task = `${service}.${t.Slot ?? t.ID.slice(0, 12)}`;
      const id = t.Status?.ContainerStatus?.ContainerID;
      if (!id || node === '?') return { node, task, status: '?' };
      try {
        const c = (await (await lab.engine(node)).getContainer(id).inspect()) as ContainerHealth;
        const h = c.State?.Health;
        if (!h?.Status) return { node, task, status: 'none' };
        const last = h.Log?.at(-1)?.Output?.trim().split('\n')[0];
        return { node, task, status: h.Status, last: h.Status === 'healthy' ? undefined : last };
      } catch (err) {
        return { node, task, status: '?', last: (err as Error).message.split('\n')[0] };
      }
    }),
  );
}
