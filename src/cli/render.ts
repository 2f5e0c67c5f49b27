// Renders a chapter's Markdown for a terminal: headings bold, commands at their node prompt,
// inline `code` highlighted, **strong** and *emphasis* styled. Plain text when colours are off.
import type { Output } from './output.js';

export function prompt(out: Output, node: string): string {
  return out.c.bold.cyan(`${node}$ `);
}

export function renderMarkdown(out: Output, md: string): string {
  const c = out.c;
  const lines = md.split('\n');
  const result: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^```(?:sh|bash|console)?\s+(@?[a-z][\w-]*)\s*$/);
    if (fence) {
      const node = fence[1].startsWith('@') ? `(node running ${fence[1].slice(1)})` : fence[1];
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
      body.forEach((b, j) => result.push('    ' + (j === 0 ? prompt(out, node) : ' '.repeat(node.length + 2)) + c.yellow(b)));
      continue;
    }
    if (line.startsWith('# ')) result.push(c.bold.underline(line.slice(2)));
    else if (line.startsWith('## ')) result.push(c.bold(line.slice(3)));
    else {
      // **strong** and *emphasis* as bold and italic (plain words without colours), `code` in yellow
      result.push(
        line
          .replace(/`([^`]+)`/g, (_, code: string) => c.yellow(code))
          .replace(/\*\*([^*]+)\*\*/g, (_, t: string) => c.bold(t))
          .replace(/(^|[\s(])\*([^*\s][^*]*)\*(?=[\s.,;:!?)]|$)/g, (_, pre: string, t: string) => pre + c.italic(t)),
      );
    }
  }
  return result.join('\n');
}

/** Where this machine's browser opens the web UI a chapter left running. */
export function webUiLine(out: Output, url: string): string {
  return `${out.c.bold('web UI:')} open ${url} in this machine's browser`;
}
