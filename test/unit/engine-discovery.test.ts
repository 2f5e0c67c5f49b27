import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { discoverHostEndpoint, contextEndpoint, engineError, connect, rememberHost, forgetHost, dockerCliEnv, clientFor } from '../../src/docker/engine.js';
import { UserError, ExitCode } from '../../src/errors.js';

describe('host engine discovery', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'devcoin-ctx-'));
    process.env.DOCKER_CONFIG = dir;
    delete process.env.DOCKER_HOST;
    delete process.env.DOCKER_CONTEXT;
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('prefers DOCKER_HOST, with TLS files from DOCKER_CERT_PATH', () => {
    const ep = discoverHostEndpoint({ DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' });
    expect(ep.host).toBe('tcp://10.0.0.1:2376');
    expect(ep.source).toBe('DOCKER_HOST');
    expect(ep.tls?.ca).toBe('/certs/ca.pem');
  });

  it('reads the current docker context from config.json', () => {
    const id = createHash('sha256').update('lab').digest('hex');
    mkdirSync(join(dir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(
      join(dir, 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: 'lab', Endpoints: { docker: { Host: 'ssh://me@box' } } }),
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: 'lab' }));
    const ep = discoverHostEndpoint({});
    expect(ep.host).toBe('ssh://me@box');
    expect(ep.source).toBe('docker context lab');
  });

  it('ignores an unknown context and falls back to a socket', () => {
    expect(contextEndpoint('nope')).toBeUndefined();
    const ep = discoverHostEndpoint({});
    expect(ep.host.startsWith('unix://')).toBe(true);
  });

  it('turns a refused connection into one line that says what to do', async () => {
    const err = await connect({ host: 'tcp://127.0.0.1:1', source: 'DOCKER_HOST' }, 3000).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.exitCode).toBe(ExitCode.engine);
    expect(err.message).toContain('no Docker engine answers at tcp://127.0.0.1:1');
    expect(err.hint).toMatch(/unset DOCKER_HOST/);
    expect(`${err.message} — ${err.hint}`).not.toContain('\n');
  });

  it('says how to get permission on EACCES', () => {
    const err = engineError({ host: 'unix:///var/run/docker.sock', source: 'socket' }, Object.assign(new Error('x'), { code: 'EACCES' }));
    expect(err.message).toMatch(/not allowed/);
    expect(err.hint).toMatch(/docker group/);
  });

  describe('a shell pointed at a lab node (eval "$(devcoin-workshop lab env node1)")', () => {
    let home: string;
    beforeEach(() => {
      home = mkdtempSync(join(tmpdir(), 'devcoin-home-'));
      process.env.DEVCOIN_HOME = home;
    });
    afterEach(() => rmSync(home, { recursive: true, force: true }));

    it('finds the engine that runs the lab by the certificates lab env gave, and says why', () => {
      rememberHost('room', { host: 'unix:///srv/docker.sock', source: 'socket' }, [40001, 40002]);
      const env = { DOCKER_HOST: 'tcp://127.0.0.1:40001', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(home, 'labs', 'room', 'certs', 'client') };
      const ep = discoverHostEndpoint(env);
      expect(ep.host).toBe('unix:///srv/docker.sock');
      expect(ep.source).toMatch(/the engine that runs lab room.*DOCKER_HOST points at a node of lab room/);
    });

    it('recognises a node by its port even with certificates copied elsewhere', () => {
      rememberHost('room', { host: 'unix:///srv/docker.sock', source: 'socket' }, [40001, 40002]);
      expect(discoverHostEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:40002', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/tmp/x' }).host).toBe('unix:///srv/docker.sock');
      // another port is somebody else's engine: DOCKER_HOST is obeyed
      expect(discoverHostEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:40009' }).host).toBe('tcp://127.0.0.1:40009');
    });

    it('without a record (an older lab), ignores the lab node and discovers the host as usual', () => {
      const ep = discoverHostEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:40001', DOCKER_CERT_PATH: join(home, 'labs', 'old', 'certs', 'client') });
      expect(ep.host.startsWith('unix://')).toBe(true);
      expect(ep.source).toMatch(/DOCKER_HOST points at a node of lab old/);
    });

    it('a client for the host socket talks to the socket even while DOCKER_HOST points at a node', () => {
      // docker-modem fills unset options from DOCKER_HOST/DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, and its host wins
      process.env.DOCKER_HOST = 'tcp://127.0.0.1:40001';
      process.env.DOCKER_TLS_VERIFY = '1';
      const m = (clientFor({ host: 'unix:///srv/docker.sock', source: 'socket' }) as unknown as { modem: Record<string, unknown> }).modem;
      expect(m.socketPath).toBe('/srv/docker.sock');
      expect(m.host).toBeUndefined();
      expect(m.protocol).toBe('http');
      const t = (clientFor({ host: 'tcp://10.0.0.9:2375', source: 'x' }) as unknown as { modem: Record<string, unknown> }).modem;
      expect([t.host, t.port, t.ca]).toEqual(['10.0.0.9', 2375, undefined]);
    });

    it('forgets the lab at lab down', () => {
      rememberHost('room', { host: 'unix:///srv/docker.sock', source: 'socket' }, [40001]);
      forgetHost('room');
      expect(discoverHostEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:40001' }).host).toBe('tcp://127.0.0.1:40001');
    });

    it('gives a docker CLI child the host engine, not the shell\'s DOCKER_HOST', () => {
      const env = dockerCliEnv({ host: 'unix:///srv/docker.sock', source: 'socket' }, { DOCKER_HOST: 'tcp://127.0.0.1:40001', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c', PATH: '/bin' });
      expect(env).toEqual({ DOCKER_HOST: 'unix:///srv/docker.sock', PATH: '/bin' });
    });
  });
});
