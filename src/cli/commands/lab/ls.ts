// `lab ls`: nodes with address, role, state and engine version, and the web UI's URL.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { openLab, webUrlOf } from '../../../lab/index.js';
import { withTimeout } from '../../../retry.js';

type EngineInfo = { ServerVersion: string; Swarm: { LocalNodeState: string; ControlAvailable: boolean } };

async function run(ctx: Context): Promise<void> {
  const lab = await openLab(ctx.lab);
  const nodes = await lab.nodes();
  const rows = await Promise.all(
    nodes.map(async (n) => {
      let engine = '';
      let swarm = '';
      if (n.state === 'running') {
        try {
          const info = (await withTimeout((await lab.engine(n.name)).info(), 4000)) as EngineInfo;
          engine = info.ServerVersion;
          swarm = info.Swarm.LocalNodeState === 'active' ? (info.Swarm.ControlAvailable ? 'manager' : 'worker') : info.Swarm.LocalNodeState;
        } catch {
          engine = 'not answering';
        }
      }
      return { ...n, engine, swarm };
    }),
  );
  // the web UI as this machine's browser opens it: node1's port 80 (compose, chapters 7-8), 8080 in chapter 6
  const webUi = webUrlOf(rows, 80) ?? null;
  const webUi8080 = webUrlOf(rows, 8080) ?? null;
  ctx.out.data({ lab: ctx.lab, nodes: rows, webUi, webUi8080 });
  ctx.out.table(
    ['NODE', 'ADDRESS', 'PLANNED', 'SWARM', 'STATE', 'ENGINE', 'TLS PORT'],
    rows.map((r) => [r.name, r.address, r.plannedRole, r.swarm || '-', r.state, r.engine || '-', String(r.port ?? '')]),
  );
  if (webUi) {
    ctx.out.line();
    ctx.out.line(`web UI: ${webUi} (node1's port 80: chapters 1 and 7-10)${webUi8080 ? `; ${webUi8080} (node1's port 8080: chapter 6)` : ''}`);
  }
}

export function registerLabLs(lab: Command): void {
  lab.command('ls').description('nodes with address, role, state and engine version').action(action(run));
}
