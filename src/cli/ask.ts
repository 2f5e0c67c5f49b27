// Questions only a person at a terminal can answer, for the core's faces.
import { confirm } from '@inquirer/prompts';
import type { Output } from './output.js';

/** On connected machines: may a catch-up remove these things the lab did not make? */
export async function confirmRemoval(out: Output, items: string[]): Promise<boolean> {
  out.line(`This would remove what the lab did not make:\n${items.map((t) => `  - ${t}`).join('\n')}`);
  return confirm({ message: 'Remove them?', default: false });
}

/** One key from a terminal: Enter = run, s = skip, q = quit. */
export function readKey(): Promise<'run' | 'skip' | 'quit'> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.once('data', (b: Buffer) => {
      stdin.setRawMode?.(false);
      stdin.pause();
      const k = b.toString();
      resolve(k === 'q' || k === '\u0003' ? 'quit' : k === 's' ? 'skip' : 'run');
    });
  });
}
