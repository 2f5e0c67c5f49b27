// `lab stop|start|kill NODE...`: fail and repair nodes (machines shutting down, coming back,
// losing their power). Connected machines are real: the tool never stops them.
import type { Command } from 'commander';
import { action } from '../../context.js';
import { UserError } from '../../../errors.js';
import { openLab } from '../../../lab/index.js';
import { task } from '../../../events.js';
import { checkNodes } from './nodes.js';

function power(verb: 'stop' | 'start' | 'kill') {
  return action(async (ctx, names: string[]) => {
    const lab = await openLab(ctx.lab);
    await checkNodes(lab, names);
    if (!lab.canStopNodes) throw new UserError(`the nodes of lab ${ctx.lab} are real machines`, `${verb} them yourself`);
    await task(ctx.face, `${verb} ${names.join(' ')}`, () => lab[verb](names));
    ctx.out.data({ lab: ctx.lab, [verb]: names });
  });
}

export function registerLabPower(lab: Command): void {
  lab.command('stop').argument('<node...>', 'nodes to stop').description('stop nodes (their engines shut down cleanly)').action(power('stop'));
  lab.command('start').argument('<node...>', 'nodes to start').description('start stopped nodes; they keep address, images and swarm role').action(power('start'));
  lab.command('kill').argument('<node...>', 'nodes to kill').description('kill nodes at once, like pulling the plug').action(power('kill'));
}
