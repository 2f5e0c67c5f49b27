// The ssh transport (src/docker/ssh.ts) without a network: the "ssh" it runs is a small script
// that plays ssh's part (an engine answering HTTP on its stdout, or ssh failing as it does), so
// the socket, the reuse of connections and the error lines are exercised for real.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { sshAgent, sshArgs, sshReason } from '../../src/docker/ssh.js';
import { answerWithin, clientFor, engineError } from '../../src/docker/engine.js';
import { ExitCode } from '../../src/errors.js';

let dir: string;
const script = (name: string, body: string) => {
  const p = join(dir, name);
  writeFileSync(p, `#!/usr/bin/env node\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'devcoin-ssh-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The body of a fake engine that ssh would start: it logs its arguments to `log` and answers each
 * HTTP request on stdio with `bodyExpr` (JavaScript over `path`), keeping the connection alive.
 */
function fakeEngine(log: string, bodyExpr: string, headers: string): string {
  return `require('fs').appendFileSync(${JSON.stringify(log)}, process.argv.slice(2).join(' ') + '\\n');
let buf = '';
process.stdin.on('data', (b) => {
  buf += b;
  let i;
  while ((i = buf.indexOf('\\r\\n\\r\\n')) >= 0) {
    const path = buf.slice(0, i).split(' ')[1];
    buf = buf.slice(i + 4);
    const body = ${bodyExpr};
    process.stdout.write('HTTP/1.1 200 OK\\r\\n${headers}Content-Length: ' + body.length + '\\r\\nConnection: keep-alive\\r\\n\\r\\n' + body);
  }
});`;
}

describe('ssh arguments: what the docker CLI runs, never prompting', () => {
  it('user, port and host from the address; docker system dial-stdio on the machine', () => {
    expect(sshArgs('ssh://me@10.0.0.5')).toEqual(['-o', 'ConnectTimeout=7', '-o', 'BatchMode=yes', '-T', '-l', 'me', '--', '10.0.0.5', 'docker', 'system', 'dial-stdio']);
    expect(sshArgs('ssh://box:2222', 3)).toEqual(['-o', 'ConnectTimeout=3', '-o', 'BatchMode=yes', '-T', '-p', '2222', '--', 'box', 'docker', 'system', 'dial-stdio']);
  });

  it('a path is the engine socket on the machine; IPv6 loses its brackets', () => {
    expect(sshArgs('ssh://me@[::1]/run/user/1000/docker.sock').slice(-5)).toEqual(['::1', 'docker', '--host=unix:///run/user/1000/docker.sock', 'system', 'dial-stdio']);
  });

  it('a host that looks like an option cannot become one (after --)', () => {
    const a = sshArgs('ssh://-oProxyCommand=x');
    expect(a.indexOf('-oProxyCommand=x')).toBeGreaterThan(0);
    expect(a.indexOf('--')).toBeLessThan(a.indexOf('-oProxyCommand=x'));
  });
});

describe("ssh's reason, in one line", () => {
  it('the last line, without known_hosts chatter or the changed-key banner', () => {
    expect(sshReason("Warning: Permanently added '10.0.0.5' (ED25519) to the list of known hosts.\r\nroot@10.0.0.5: Permission denied (publickey).\r\n", 255)).toBe('root@10.0.0.5: Permission denied (publickey).');
    const banner = '@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@\nIT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\nHost key for 10.0.0.5 has changed and you have requested strict checking.\nHost key verification failed.\n';
    expect(sshReason(banner, 255)).toBe('Host key verification failed.');
  });

  it('a machine without docker, and an ssh that said nothing', () => {
    expect(sshReason('bash: line 1: docker: command not found\n', 127)).toBe('the machine has no docker command (bash: line 1: docker: command not found)');
    expect(sshReason('', 255)).toBe('ssh exited with 255 and said nothing');
  });
});

function get(agent: ReturnType<typeof sshAgent>, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: 'machine', path, agent }, (res) => {
      let body = '';
      res.on('data', (b) => (body += b));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the ssh process as the HTTP connection', () => {
  it('carries requests and answers, and reuses one ssh for consecutive requests', async () => {
    const log = join(dir, 'spawns');
    writeFileSync(log, '');
    // an "engine" on stdio: answers each request with its path, keep-alive
    const fake = script(
      'ssh-ok',
      fakeEngine(log, 'path', ''),
    );
    const agent = sshAgent('ssh://me@box:2222', { sshCommand: fake });
    expect(await get(agent, '/_ping')).toBe('/_ping');
    expect(await get(agent, '/version')).toBe('/version');
    expect(await get(agent, '/info')).toBe('/info');
    agent.destroy();
    const spawns = readFileSync(log, 'utf8').trim().split('\n');
    expect(spawns).toEqual(['-o ConnectTimeout=7 -o BatchMode=yes -T -l me -p 2222 -- box docker system dial-stdio']);
  });

  it("an ssh that fails fails the request with ssh's own reason, not a bare hang-up", async () => {
    const fake = script('ssh-denied', `process.stderr.write('root@box: Permission denied (publickey).\\r\\n'); process.exit(255);`);
    const agent = sshAgent('ssh://root@box', { sshCommand: fake });
    await expect(get(agent, '/_ping')).rejects.toMatchObject({ code: 'ESSH', message: 'root@box: Permission denied (publickey).' });
    agent.destroy();
  });

  it('no ssh client at all is said so', async () => {
    const agent = sshAgent('ssh://root@box', { sshCommand: join(dir, 'no-such-ssh') });
    await expect(get(agent, '/_ping')).rejects.toMatchObject({ code: 'ESSH', message: expect.stringMatching(/^no ssh client here/) });
    agent.destroy();
  });
});

describe('engine errors over ssh', () => {
  it('name the endpoint, give ssh\'s reason and the ssh command to try', () => {
    const e = engineError({ host: 'ssh://root@10.0.0.5:2222', source: 'ssh://root@10.0.0.5:2222' }, Object.assign(new Error('Host key verification failed.'), { code: 'ESSH' }));
    expect(e.message).toBe('no Docker engine answers over ssh at ssh://root@10.0.0.5:2222: Host key verification failed.');
    expect(e.hint).toMatch(/^check that `ssh -p 2222 root@10\.0\.0\.5 docker version` works from this shell without a prompt/);
    expect(e.exitCode).toBe(ExitCode.engine);
  });

  it('an ssh login gets 12 s to answer (ssh\'s own ConnectTimeout is 7), a socket keeps its budget', () => {
    expect(answerWithin({ host: 'ssh://me@box', source: 'x' }, 3000)).toBe(12_000);
    expect(answerWithin({ host: 'ssh://me@box', source: 'x' }, 30_000)).toBe(30_000);
    expect(answerWithin({ host: 'tcp://127.0.0.1:2376', source: 'x' }, 3000)).toBe(3000);
  });

  it("an ssh:// client's requests go through the system ssh (found on PATH, with the address's user and port), not docker-modem's own ssh", async () => {
    // before, this only asserted that the modem had *an* agent; now a request made through the
    // client must spawn `ssh` with dial-stdio and get the engine's answer back through it
    const log = join(dir, 'path-spawns');
    writeFileSync(log, '');
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'ssh'),
      `#!/usr/bin/env node\n${fakeEngine(log, "JSON.stringify({ Version: '26.1.5-fake', Path: path })", 'Content-Type: application/json\\r\\n')}\n`,
    );
    chmodSync(join(bin, 'ssh'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const d = clientFor({ host: 'ssh://me@box:2222', source: 'test' });
      const v = (await d.version()) as unknown as { Version: string; Path: string };
      expect(v.Version).toBe('26.1.5-fake');
      expect(v.Path).toMatch(/\/version$/);
      const info = (await d.info()) as unknown as { Path: string };
      expect(info.Path).toMatch(/\/info$/);
      // one ssh for both requests (kept alive), with the user and port of the address
      expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['-o ConnectTimeout=7 -o BatchMode=yes -T -l me -p 2222 -- box docker system dial-stdio']);
      ((d.modem as unknown as { agent: { destroy(): void } }).agent).destroy();
    } finally {
      process.env.PATH = path;
    }
  });
});
