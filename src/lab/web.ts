// Where this machine's browser opens the web UI of a lab: node1's port 80 (compose, the proxy
// of chapters 7-8) or 8080 (the web UI of chapter 6). On the built-in lab that is a 127.0.0.1
// port the host engine publishes, which works where container addresses are not routed
// (Docker Desktop, WSL); on connected machines, node1's own address.
import type { Lab, LabNode } from './types.js';
import type { WebPort } from './names.js';

export type { WebPort };

/** The URL of `port` on `node` (node1), from the lab's nodes; undefined when the lab has none (an older lab). */
export function webUrlOf(nodes: LabNode[], port: WebPort = 80, node = 'node1'): string | undefined {
  return nodes.find((n) => n.name === node)?.web?.[port];
}

export async function webUrl(lab: Lab, port: WebPort = 80, node = 'node1'): Promise<string | undefined> {
  return webUrlOf(await lab.nodes(), port, node);
}
