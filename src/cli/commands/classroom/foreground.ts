// What `classroom up` and `classroom serve` share once the server is ready: the URLs (or the one
// JSON document), the notes, then serving in the foreground until Ctrl-C, which stops the server
// and keeps labs, tokens and progress.
import type { Context } from '../../context.js';
import type { Running } from '../../../classroom/index.js';

export async function serveInForeground(ctx: Context, running: Running): Promise<void> {
  const { urls, notes, server } = running;
  // notes go to stderr in --json mode too: stdout holds only the one JSON document
  for (const n of notes) process.stderr.write(ctx.out.c.yellow('note: ') + n + '\n');
  if (ctx.json) {
    process.stdout.write(JSON.stringify({ instructor: urls.instructor, students: urls.students.map(({ name, lab, url }) => ({ name, lab, url })) }) + '\n');
  } else {
    ctx.out.line(`${ctx.out.c.bold('instructor (radar):')} ${urls.instructor}`);
    ctx.out.table(['STUDENT', 'LAB', 'ENGINE', 'URL'], urls.students.map((s) => [s.name, s.lab, s.engine, s.url]));
    ctx.out.line(ctx.out.c.dim('each URL is that person\'s key: hand it to them only. Ctrl-C stops the server and keeps labs, tokens and progress.'));
  }
  await new Promise<void>((resolve) => {
    // the CLI's own Ctrl-C handler says "run it again to finish the job": here Ctrl-C is the way to stop
    process.removeAllListeners('SIGINT');
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  ctx.out.info('classroom stopped; labs, tokens and progress are kept: `devcoin-workshop classroom serve` starts it again with the same URLs');
}
