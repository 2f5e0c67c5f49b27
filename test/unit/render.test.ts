// How `show` prints a chapter: plain words without colours, no Markdown marks left over.
import { describe, expect, it } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { renderMarkdown } from '../../src/cli/render.js';

describe('chapter rendering', () => {
  it('without colours: headings, prompts, and no leftover ** or * marks', () => {
    process.env.NO_COLOR = '1';
    const out = new Output({ tty: false });
    const md = '# Title\n\nA **secret** is *different*; `docker ps` and the `*` mark stay.\n\n```sh node1\ndocker node ls\n```';
    expect(renderMarkdown(out, md).split('\n')).toEqual([
      'Title',
      '',
      'A secret is different; docker ps and the * mark stay.',
      '',
      '    node1$ docker node ls',
    ]);
  });
});
