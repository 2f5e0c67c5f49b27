// Catch-up on machines the lab did not make: before a chapter's catch-up removes anything that
// was there before `lab connect`, it lists exactly what and asks (or needs --yes without a
// terminal). On the built-in lab there is nothing to ask about.
import { confirm } from '@inquirer/prompts';
import type { Context } from '../context.js';
import { ExitCode, UserError } from '../../errors.js';
import type { Chapter } from '../../workshop/types.js';
import { ALL_TOUCHES, type Lab } from '../../lab/index.js';

export async function catchUpGuarded(ctx: Context, lab: Lab, chapter: Chapter, yes: boolean): Promise<void> {
  const theirs = await lab.preexisting(chapter.module.touches ?? ALL_TOUCHES);
  if (theirs.length && !yes) {
    const what = `${theirs.length} thing(s) that were on these machines before lab connect`;
    if (!ctx.interactive) {
      throw new UserError(`catching up to ${chapter.slug} would remove ${what}: ${theirs.join('; ')}`, 'run it again with --yes to remove them anyway', ExitCode.usage);
    }
    ctx.out.line(`Catching up to ${chapter.slug} would remove what the lab did not make:\n${theirs.map((t) => `  - ${t}`).join('\n')}`);
    if (!(await confirm({ message: 'Remove them?', default: false }))) throw new UserError('nothing was changed', `run \`goto ${chapter.slug}\` again when you are sure`);
  }
  await ctx.out.step(`catching up to ${chapter.slug}`, (update) => chapter.module.catchUp(lab, update));
}
