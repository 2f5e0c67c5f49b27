// A lab node publishes its ports 80 and 8080 on 127.0.0.1 of the host (issue #15: Docker
// Desktop and WSL cannot route to container addresses), remembers the host ports in labels,
// and the CLI turns them into the URLs that `lab ls`, `run` and `next` print.
import { describe, expect, it } from 'vitest';
import { nodeSpec } from '../../src/lab/dind/provision.js';
import { webUrls } from '../../src/lab/dind/provider.js';
import { LAB_VERSION, WEB_PORT_LABELS } from '../../src/lab/names.js';
import { webUrlOf } from '../../src/lab/web.js';
import { loadChapters } from '../../src/workshop/chapters.js';

describe('web ports of a lab node', () => {
  const spec = nodeSpec('t', { name: 'node1', role: 'manager', address: '10.213.9.11' }, 40001, { 80: 40002, 8080: 40003 });

  it('binds 80 and 8080 on 127.0.0.1 only, beside the TLS port', () => {
    expect(spec.HostConfig?.PortBindings).toEqual({
      '2376/tcp': [{ HostIp: '127.0.0.1', HostPort: '40001' }],
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '40002' }],
      '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '40003' }],
    });
    expect(Object.keys(spec.ExposedPorts ?? {}).sort()).toEqual(['2376/tcp', '80/tcp', '8080/tcp']);
  });

  it('remembers the host ports in labels, and a lab of the older spec is another version', () => {
    expect(spec.Labels?.[WEB_PORT_LABELS[80]]).toBe('40002');
    expect(spec.Labels?.[WEB_PORT_LABELS[8080]]).toBe('40003');
    expect(spec.Labels?.['io.devcoin.workshop.lab-version']).toBe(LAB_VERSION);
    expect(LAB_VERSION).toBe('3');
  });

  it('the labels give the URLs; a node without them (older lab) gives none', () => {
    const urls = webUrls(spec.Labels!);
    expect(urls).toEqual({ 80: 'http://127.0.0.1:40002/', 8080: 'http://127.0.0.1:40003/' });
    expect(webUrls({})).toEqual({});
    const nodes = [
      { name: 'node2', plannedRole: 'manager' as const, address: 'x', state: 'running', web: { 80: 'http://127.0.0.1:1/' } },
      { name: 'node1', plannedRole: 'manager' as const, address: 'x', state: 'running', web: urls },
    ];
    expect(webUrlOf(nodes)).toBe('http://127.0.0.1:40002/');
    expect(webUrlOf(nodes, 8080)).toBe('http://127.0.0.1:40003/');
    expect(webUrlOf([{ ...nodes[1], web: undefined }])).toBeUndefined();
  });
});

describe('chapters that leave the web UI running', () => {
  it('compose, proxy, secrets, update and observe on port 80; stack on 8080; no other', async () => {
    const chapters = await loadChapters(); // the modules built by npm run build
    const ports = Object.fromEntries(chapters.filter((c) => c.module.webPort).map((c) => [c.slug, c.module.webPort]));
    expect(ports).toEqual({ compose: 80, stack: 8080, proxy: 80, secrets: 80, update: 80, observe: 80 });
  });
});
