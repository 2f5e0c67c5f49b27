// Parses a chapter's README.md. Fenced blocks whose info string names a node (```sh node1)
// are commands; HTML comments are hidden directives (see chapters/README.md):
//   <!-- expect-fail: REGEX -->        the next block must fail with output matching REGEX
//   <!-- wait node1 60: SHELL -->      poll SHELL on node1 until it exits 0 (60 s at most)
//   <!-- lab: stop node2 node3 -->     stop / start / kill lab nodes (the machine failing)
//   <!-- run node1: SHELL -->          a command run but not shown (tidying up)
//   <!-- capture node1 NAME: SHELL --> run SHELL, keep its output as $NAME for later commands
import type { ParsedChapter, Step } from './types.js';

const FENCE = /^```(?:sh|bash|console)?\s+(@?[a-z][\w-]*)\s*$/;
const DIRECTIVE = /^<!--\s*([a-z-]+)(?:\s+([^:]*?))?\s*:\s*([\s\S]*?)\s*-->$/;

export class ChapterFormatError extends Error {}

/** What `<!-- lab: VERB NODE... -->` may do, with the words a note says while doing it. */
export const LAB_VERBS = { stop: 'stopping', start: 'starting', kill: 'killing' } as const;
export type LabVerb = keyof typeof LAB_VERBS;

/** Every directive the parser knows (chapters/README.md documents each; a unit test holds them together). */
export const DIRECTIVES = ['expect-fail', 'wait', 'lab', 'run', 'capture'] as const;

export function parseChapter(text: string, file = 'README.md'): ParsedChapter {
  const lines = text.split('\n');
  const steps: Step[] = [];
  const shown: string[] = [];
  let title = '';
  let expectFail: RegExp | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!title && line.startsWith('# ')) title = line.slice(2).trim();
    const fence = line.match(FENCE);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
      if (i >= lines.length) throw new ChapterFormatError(`${file}: a command block is not closed`);
      steps.push({ kind: 'command', node: fence[1], command: body.join('\n').trim(), expectFail });
      expectFail = undefined;
      shown.push(line, ...body, '```');
      continue;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith('<!--')) {
      let comment = trimmed;
      while (!comment.endsWith('-->') && i + 1 < lines.length) comment += '\n' + lines[++i];
      const d = comment.match(DIRECTIVE);
      if (!d) continue; // an ordinary comment
      const [, name, args = '', body] = d;
      const words = args.split(/\s+/).filter(Boolean);
      switch (name) {
        case 'expect-fail':
          expectFail = new RegExp(body, 'i');
          break;
        case 'wait':
          steps.push({ kind: 'directive', name: 'wait', node: words[0] ?? 'node1', arg: words[1] ?? '60', body });
          break;
        case 'lab': {
          const [verb, ...nodes] = body.split(/\s+/);
          if (!(verb in LAB_VERBS) || !nodes.length) throw new ChapterFormatError(`${file}: lab needs ${Object.keys(LAB_VERBS).join('/')} and node names, not "${body}"`);
          steps.push({ kind: 'directive', name: 'lab', body });
          break;
        }
        case 'run':
          steps.push({ kind: 'directive', name: 'run', node: words[0] ?? 'node1', body });
          break;
        case 'capture':
          if (!words[1]) throw new ChapterFormatError(`${file}: capture needs a node and a name`);
          steps.push({ kind: 'directive', name: 'capture', node: words[0], arg: words[1], body });
          break;
        default:
          throw new ChapterFormatError(`${file}: unknown directive "${name}"`);
      }
      continue;
    }
    shown.push(line);
  }
  if (!title) throw new ChapterFormatError(`${file}: no "# title" line`);
  const markdown = shown.join('\n').replace(/\n{3,}/g, '\n\n').trim() + '\n';
  return { title, intro: firstParagraph(markdown), steps, markdown, hint: section(markdown, 'Hint') };
}

function firstParagraph(md: string): string {
  const paras = md.split(/\n\s*\n/).map((p) => p.trim());
  return paras.find((p) => p && !p.startsWith('#') && !p.startsWith('```')) ?? '';
}

function section(md: string, name: string): string | undefined {
  const m = md.match(new RegExp(`^## ${name}\\s*\\n([\\s\\S]*?)(?=^## |$(?![\\s\\S]))`, 'm'));
  return m?.[1].trim() || undefined;
}
