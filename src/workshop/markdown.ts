// Parses a chapter's README.md. Fenced blocks whose info string names a node (```sh node1)
// are commands; HTML comments are hidden directives (see chapters/README.md):
//   <!-- expect-fail: REGEX -->        the next block must fail with output matching REGEX
//   <!-- wait node1 60: SHELL -->      poll SHELL on node1 until it exits 0 (60 s at most)
//   <!-- lab: stop node2 node3 -->     stop / start / kill lab nodes (the machine failing)
//   <!-- run node1: SHELL -->          a command run but not shown (tidying up)
//   <!-- capture node1 NAME: SHELL --> run SHELL, keep its output as $NAME for later commands
// One Markdown lexer (marked's) for every face: this parser reads the steps from its tokens, the
// terminal renders the same tokens (src/cli/render.ts), the classroom renders their HTML.
import { Lexer, type Token, type Tokens } from 'marked';
import type { ParsedChapter, Step } from './types.js';

/** A fenced block's info string that names a node: `sh node1`, `bash node2`, `@devcoin_redis`. */
const COMMAND_INFO = /^(?:sh|bash|console)?\s*(@?[a-z][\w-]*)$/;
const DIRECTIVE = /^<!--\s*([a-z-]+)(?:\s+([^:]*?))?\s*:\s*([\s\S]*?)\s*-->$/;

export class ChapterFormatError extends Error {}

/** What `<!-- lab: VERB NODE... -->` may do, with the words a note says while doing it. */
export const LAB_VERBS = { stop: 'stopping', start: 'starting', kill: 'killing' } as const;
export type LabVerb = keyof typeof LAB_VERBS;

/** Every directive the parser knows (chapters/README.md documents each; a unit test holds them together). */
export const DIRECTIVES = ['expect-fail', 'wait', 'lab', 'run', 'capture', 'form'] as const;

/**
 * How a lab's services are reached: through Swarm's routing mesh (IPVS: virtual IPs, ingress
 * ports that answer on every node) or without it (DNS round robin, ports published where a task
 * runs). A chapter may say a thing each way (`<!-- form: mesh -->` ... `<!-- form: dnsrr -->` ...
 * `<!-- form: all -->`); the lab's form picks which one is read and run.
 */
export type RoutingForm = 'mesh' | 'dnsrr';
export const ROUTING_FORMS: readonly RoutingForm[] = ['dnsrr', 'mesh'];

/** The tokens of a chapter's Markdown (or of any part of it, such as its hint). */
export function tokensOf(text: string): Token[] {
  return Lexer.lex(text);
}

/** The node a code token's commands run on (`sh node1` -> node1), or undefined for other code. */
export function commandNode(token: Token): string | undefined {
  if (token.type !== 'code' || (token as Tokens.Code).codeBlockStyle === 'indented') return undefined;
  return COMMAND_INFO.exec(((token as Tokens.Code).lang ?? '').trim())?.[1];
}

/** A hidden directive: an HTML comment of the form `<!-- name args: body -->`. */
function directiveOf(token: Token): RegExpExecArray | undefined {
  if (token.type !== 'html') return undefined;
  return DIRECTIVE.exec(token.raw.trim()) ?? undefined;
}

export function parseChapter(text: string, file = 'README.md', form: RoutingForm = 'dnsrr'): ParsedChapter {
  const steps: Step[] = [];
  const shown: string[] = [];
  let title = '';
  let expectFail: RegExp | undefined;
  // which form the text being read belongs to: both, or only one
  let only: RoutingForm | 'all' = 'all';
  for (const token of tokensOf(text)) {
    const f = directiveOf(token);
    if (f?.[1] === 'form') {
      const which = f[3].trim();
      if (which !== 'all' && !(ROUTING_FORMS as readonly string[]).includes(which)) throw new ChapterFormatError(`${file}: form must be ${ROUTING_FORMS.join(', ')} or all, not "${which}"`);
      only = which as RoutingForm | 'all';
      continue;
    }
    if (only !== 'all' && only !== form) continue;
    if (!title && token.type === 'heading' && (token as Tokens.Heading).depth === 1) title = (token as Tokens.Heading).text.trim();
    const node = commandNode(token);
    if (node) {
      if (!/\n\s*(```|~~~)\s*$/.test(token.raw.trimEnd())) throw new ChapterFormatError(`${file}: a command block is not closed`);
      steps.push({ kind: 'command', node, command: (token as Tokens.Code).text.trim(), expectFail });
      expectFail = undefined;
      shown.push(token.raw);
      continue;
    }
    const d = directiveOf(token);
    if (!d) {
      // an ordinary comment is hidden too; everything else is the text `show` prints
      if (!(token.type === 'html' && /^<!--[\s\S]*-->$/.test(token.raw.trim()))) shown.push(token.raw);
      continue;
    }
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
  }
  if (only !== 'all') throw new ChapterFormatError(`${file}: a form block is not closed with <!-- form: all -->`);
  if (!title) throw new ChapterFormatError(`${file}: no "# title" line`);
  const markdown = shown.join('').replace(/\n{3,}/g, '\n\n').trim() + '\n';
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
