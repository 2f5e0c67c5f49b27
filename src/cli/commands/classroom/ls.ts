// `classroom ls`: students, labs, engines, chapters (no tokens: `classroom serve` prints the URLs).
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { classroomList, type ClassroomRow } from '../../../classroom/index.js';

async function run(ctx: Context): Promise<void> {
  const { rows, bind, port } = await classroomList();
  ctx.out.data({ bind, port, students: rows });
  const mib = (b?: number) => (b === undefined ? '?' : String(Math.round(b / 2 ** 20)));
  const use = (u: ClassroomRow['usage']) =>
    u
      ? [
          `${mib(u.memoryBytes)} MiB (${u.busiest.node} ${mib(u.busiest.memoryBytes)}/${u.busiest.limitBytes ? mib(u.busiest.limitBytes) : 'no limit'})`,
          `${u.mostPids.node} ${u.mostPids.pids}/${u.mostPids.limit ?? 'no limit'}`,
          u.cpuCores === undefined ? '?' : u.cpuCores.toFixed(2),
          u.diskBytes === undefined ? '?' : `${(u.diskBytes / 2 ** 30).toFixed(1)} GiB`,
          [u.oomKills ? `${u.oomKills} killed (memory)` : '', u.pidsRefused ? `${u.pidsRefused} forks refused` : '', ...u.unreadable].filter(Boolean).join('; '),
        ]
      : ['', '', '', '', ''];
  ctx.out.table(
    ['STUDENT', 'LAB', 'ENGINE', 'LAB STATE', 'CHAPTER', 'DONE', 'JOB', 'MEMORY (BUSIEST NODE/LIMIT)', 'PIDS (MOST/LIMIT)', 'CPU', 'DISK', 'LIMITS HIT'],
    rows.map((r) => [r.student, r.lab, r.engine, r.state, r.chapter ?? '?', String(r.done), r.job ?? '', ...use(r.usage)]),
  );
  ctx.out.line(ctx.out.c.dim(`served on ${bind}:${port} when running; \`devcoin-workshop classroom serve\` prints the URLs`));
}

export function registerClassroomLs(classroom: Command): void {
  classroom.command('ls').description('the students, their labs, engines and chapters').action(action(run));
}
