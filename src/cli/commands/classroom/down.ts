// `classroom down`: removes every lab of this classroom (by its label), their progress and the tokens.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { classroomDown } from '../../../classroom/index.js';

async function run(ctx: Context): Promise<void> {
  const { labs, others } = await classroomDown(ctx.face);
  ctx.out.data({ removed: labs, others });
  if (labs.length) ctx.out.line(`removed ${labs.length} lab(s) (${labs.join(', ')}), their progress and the classroom's tokens`);
  else {
    ctx.out.line('there is no classroom here; nothing removed');
    if (others.length) ctx.out.info(`classroom labs of another config dir are on this engine: ${others.join(', ')} (remove one with \`devcoin-workshop --lab NAME lab down\`)`);
  }
}

export function registerClassroomDown(classroom: Command): void {
  classroom.command('down').description("remove the classroom: every lab carrying its label, their progress and the tokens (images stay)").action(action(run));
}
