// A chapter's Markdown as HTML for the student's page, from the core's one lexer (tokensOf):
// marked's own parser and renderer, with each command block shown at its node's prompt as the
// terminal face shows it (src/cli/render.ts). Directives are already gone from `markdown`.
import { Marked, type Tokens } from 'marked';
import { commandNode, tokensOf } from '../workshop/markdown.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const marked = new Marked({
  renderer: {
    code(token: Tokens.Code) {
      const node = commandNode(token);
      if (!node) return `<pre><code>${escape(token.text)}</code></pre>\n`;
      const shown = node.startsWith('@') ? `(node running ${node.slice(1)})` : node;
      return `<div class="cmd" data-node="${escape(node)}"><span class="prompt">${escape(shown)}$</span><pre><code>${escape(token.text)}</code></pre></div>\n`;
    },
  },
});

export function chapterHtml(markdown: string): string {
  return marked.parser(tokensOf(markdown));
}
