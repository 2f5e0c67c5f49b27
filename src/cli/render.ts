// Renders a chapter's Markdown for a terminal from the core's tokens (one lexer for every face):
// headings bold, commands at their node prompt, inline `code` highlighted, **strong** and
// *emphasis* styled. Plain text when colours are off.
import type { Tokens } from 'marked';
import { commandNode, tokensOf } from '../workshop/markdown.js';
import type { Output } from './output.js';

export function prompt(out: Output, node: string): string {
  return out.c.bold.cyan(`${node}$ `);
}

export function renderMarkdown(out: Output, md: string): string {
  const c = out.c;
  // **strong** and *emphasis* as bold and italic (plain words without colours), `code` in yellow
  const inline = (line: string) =>
    line
      .replace(/`([^`]+)`/g, (_, code: string) => c.yellow(code))
      .replace(/\*\*([^*]+)\*\*/g, (_, t: string) => c.bold(t))
      .replace(/(^|[\s(])\*([^*\s][^*]*)\*(?=[\s.,;:!?)]|$)/g, (_, pre: string, t: string) => pre + c.italic(t));
  return tokensOf(md)
    .map((token) => {
      const body = token.raw.replace(/\n+$/, '');
      const tail = token.raw.slice(body.length);
      const node = commandNode(token);
      if (node) {
        const shown = node.startsWith('@') ? `(node running ${node.slice(1)})` : node;
        const lines = (token as Tokens.Code).text.split('\n');
        return lines.map((b, j) => '    ' + (j === 0 ? prompt(out, shown) : ' '.repeat(shown.length + 2)) + c.yellow(b)).join('\n') + tail;
      }
      if (token.type === 'heading') {
        const h = token as Tokens.Heading;
        return (h.depth === 1 ? c.bold.underline(h.text) : c.bold(h.text)) + tail;
      }
      return body.split('\n').map(inline).join('\n') + tail;
    })
    .join('');
}

/** Where this machine's browser opens the web UI a chapter left running. */
export function webUiLine(out: Output, url: string): string {
  return `${out.c.bold('web UI:')} open ${url} in this machine's browser`;
}
