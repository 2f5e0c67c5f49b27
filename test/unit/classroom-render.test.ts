// The student's page shows a chapter from the core's one lexer: marked's HTML, each command
// block at its node's prompt (as `show` prints it), directives already gone, text escaped.
import { describe, it, expect } from 'vitest';
import { chapterHtml } from '../../src/classroom/render.js';
import { findChapter, loadChapters } from '../../src/workshop/index.js';

describe('chapter HTML for the classroom', () => {
  it('renders commands at their node\'s prompt, @service as the node running it, other code as code', () => {
    const html = chapterHtml('# T\n\nSome `x` <and> **y**.\n\n```sh node2\ndocker node ls\n```\n\n```sh @devcoin_redis\nredis-cli ping\n```\n\n```yaml\na: <b>\n```\n');
    expect(html).toContain('<h1>T</h1>');
    expect(html).toContain('<code>x</code>');
    expect(html).toContain('<strong>y</strong>');
    expect(html).toContain('<div class="cmd" data-node="node2"><span class="prompt">node2$</span><pre><code>docker node ls</code></pre></div>');
    expect(html).toContain('<span class="prompt">(node running devcoin_redis)$</span>');
    expect(html).toContain('<pre><code>a: &lt;b&gt;</code></pre>');
  });

  it('shows every command of chapter 2 at its prompt, and none of its hidden directives', async () => {
    const c = findChapter(await loadChapters(), 'swarm');
    const html = chapterHtml(c.markdown);
    const shown = [...html.matchAll(/<div class="cmd" data-node="(node\d)"><span class="prompt">node\d\$<\/span><pre><code>([\s\S]*?)<\/code>/g)].map((m) => [m[1], m[2].replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&')]);
    const commands = c.steps.filter((s) => s.kind === 'command').map((s) => [s.node, s.command]);
    expect(shown).toEqual(commands);
    expect(html).not.toMatch(/capture|<!--/);
  });
});
