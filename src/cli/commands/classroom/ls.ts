// `classroom ls`: students, labs, engines, chapters (no tokens: `classroom serve` prints the URLs).
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { classroomList } from '../../../classroom/index.js';

async function run(ctx: Context): Promise<void> {
  const { rows, bind, port } = await classroomList();
  ctx.out.data({ bind, port, students: rows });
  ctx.out.table(['STUDENT', 'LAB', 'ENGINE', 'LAB STATE', 'CHAPTER', 'DONE', 'JOB'], rows.map((r) => [r.student, r.lab, r.engine, r.state, r.chapter ?? '?', String(r.done), r.job ?? '']));
  ctx.out.line(ctx.out.c.dim(`served on ${bind}:${port} when running; \`devcoin-workshop classroom serve\` prints the URLs`));
}

export function registerClassroomLs(classroom: Command): void {
  classroom.command('ls').description('the students, their labs, engines and chapters').action(action(run));
}
