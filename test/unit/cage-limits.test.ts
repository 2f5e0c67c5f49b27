// The cage's and the limits' pure parts (#20): the caged node's host config, the name server that
// says "no such name", the usage probe's parsing and what a student is told, the limit options.
import { describe, it, expect } from 'vitest';
import { createSocket } from 'node:dgram';
import { CAGED_CAP_DROP, CAGED_SECCOMP_DENY, dindHostConfig } from '../../src/docker/dind.js';
import { nxdomain } from '../../src/lab/dind/room-dns.js';
import { limitNews, parseUsage } from '../../src/lab/usage.js';
import { limits } from '../../src/cli/parse.js';
import { DEFAULT_LIMITS, describeLimits, limitsOf } from '../../src/classroom/index.js';
import { UserError } from '../../src/errors.js';

describe('a caged node', () => {
  it('keeps no device rule, drops what acts on the machine, filters system calls, and takes its limits', () => {
    const h = dindHostConfig({ caged: true, limits: { memoryMiB: 1536, pids: 2048 } }) as Record<string, unknown>;
    expect(h.DeviceCgroupRules).toBeUndefined();
    expect(h.CapDrop).toEqual(expect.arrayContaining(['SYS_MODULE', 'SYS_RAWIO', 'SYS_TIME', 'SYS_BOOT', 'SYS_RESOURCE']));
    const seccomp = (h.SecurityOpt as string[]).find((o) => o.startsWith('seccomp='))!;
    const profile = JSON.parse(seccomp.slice('seccomp='.length));
    expect(profile.syscalls[0].names).toEqual(expect.arrayContaining(['init_module', 'finit_module', 'kexec_load', 'open_by_handle_at', 'syslog', 'bpf']));
    expect(h.Memory).toBe(1536 * 2 ** 20);
    expect(h.MemorySwap).toBe(h.Memory);
    expect(h.PidsLimit).toBe(2048);
  });

  it('an uncaged node (a single user on their own machine) is as before, with no limit unless asked', () => {
    const h = dindHostConfig() as Record<string, unknown>;
    expect(h.DeviceCgroupRules).toEqual(['a *:* rwm']);
    expect(h.SecurityOpt).toContain('seccomp=unconfined');
    expect(h.Memory).toBeUndefined();
    expect(h.PidsLimit).toBeUndefined();
    expect(CAGED_CAP_DROP).not.toContain('SYS_ADMIN'); // the nested engine needs it (in its own namespace)
    expect(CAGED_SECCOMP_DENY).not.toContain('keyctl'); // the nested runc joins a session keyring
  });
});

describe("the room's name server", () => {
  // a query for registry-1.docker.io, type A, recursion desired, with an EDNS0 OPT record
  const name = Buffer.concat(['registry-1', 'docker', 'io'].map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])));
  const query = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]),
    name, Buffer.from([0, 0, 1, 0, 1]),
    Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]),
  ]);

  it('answers every question "no such name", with its id and question, without the OPT record', () => {
    const r = nxdomain(query)!;
    expect(r.readUInt16BE(0)).toBe(0x1234);
    expect(r.readUInt16BE(2) & 0x8000).toBe(0x8000); // an answer
    expect(r.readUInt16BE(2) & 0x000f).toBe(3); // NXDOMAIN
    expect(r.readUInt16BE(2) & 0x0100).toBe(0x0100); // RD kept
    expect([r.readUInt16BE(4), r.readUInt16BE(6), r.readUInt16BE(8), r.readUInt16BE(10)]).toEqual([1, 0, 0, 0]);
    expect(r.length).toBe(12 + name.length + 5);
  });

  it('ignores what is not a question', () => {
    expect(nxdomain(Buffer.from([1, 2]))).toBeUndefined();
    expect(nxdomain(nxdomain(query)!)).toBeUndefined();
  });

  it('says so over UDP to a real resolver socket', async () => {
    const server = createSocket('udp4');
    server.on('message', (m, from) => server.send(nxdomain(m)!, from.port, from.address));
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
    const { Resolver } = await import('node:dns/promises');
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${server.address().port}`]);
    const t0 = Date.now();
    await expect(resolver.resolve4('registry-1.docker.io')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(Date.now() - t0).toBeLessThan(1000);
    server.close();
  });
});

describe("a node's use against its limits", () => {
  const v1 = 'memory 734003200\nmemory_limit 1610612736\ninactive_file 104857600\noom_kills 2\npids 180\npids_limit 2048\npids_refused 0\ncpu_us 123456\n';
  it('reads cgroup v1 and v2 counters the docker CLI way (without inactive file cache); v1 "no limit" is none', () => {
    expect(parseUsage('node2', v1)).toEqual({ node: 'node2', memory: 734003200 - 104857600, memoryLimit: 1610612736, pids: 180, pidsLimit: 2048, cpuMicros: 123456, oomKills: 2, pidsRefused: 0 });
    const u = parseUsage('node1', 'memory 100\nmemory_limit 9223372036854771712\npids 5\npids_limit max\noom_kills\n');
    expect(u.memoryLimit).toBeUndefined();
    expect(u.pidsLimit).toBeUndefined();
    expect(u.oomKills).toBe(0);
  });

  it('tells a student what changed: a kill for want of memory, a refused fork, a node at its process limit', () => {
    const before = [parseUsage('node2', v1), { node: 'node3', oomKills: 0, pidsRefused: 0 }];
    const now = [{ ...parseUsage('node2', v1), oomKills: 3 }, { node: 'node3', oomKills: 0, pidsRefused: 0, atPidsLimit: true }];
    expect(limitNews(before, now)).toEqual(['node2 hit its memory limit: a process was killed', 'node3 is at its process limit: nothing new can start there until processes end']);
    expect(limitNews(now, [{ ...now[0] }, { node: 'node3', oomKills: 0, pidsRefused: 7, pidsLimit: 2048 }])).toEqual(['node3 hit its process limit (2048): new processes were refused']);
    expect(limitNews(now, now)).toEqual([]);
  });
});

describe('the limit options', () => {
  it('take sizes, counts and cores; refuse the rest in one line', () => {
    expect(limits({ nodeMemory: '2g', nodePids: '4096', labCpus: '0.5' })).toEqual({ nodeMemoryMiB: 2048, nodePids: 4096, labCpus: 0.5 });
    expect(limits({ nodeMemory: '1536' })).toEqual({ nodeMemoryMiB: 1536 });
    for (const bad of [{ nodeMemory: 'lots' }, { nodeMemory: '10' }, { nodePids: '-1' }, { nodePids: '50' }, { labCpus: 'x' }, { labCpus: '0' }]) {
      expect(() => limits(bad)).toThrow(UserError);
    }
  });

  it('a classroom lab has the defaults unless told, and none with --no-limits', () => {
    expect(limitsOf(undefined, 2)).toEqual({ ...DEFAULT_LIMITS, labCpus: 1 });
    expect(limitsOf(undefined, 8).labCpus).toBe(4);
    expect(limitsOf(undefined, 1).labCpus).toBe(0.5);
    expect(limitsOf({ nodePids: 4096, nodeMemoryMiB: undefined }, 2)).toEqual({ ...DEFAULT_LIMITS, labCpus: 1, nodePids: 4096 });
    expect(limitsOf({ labCpus: 0.3 }, 2).labCpus).toBe(0.3);
    expect(limitsOf(false)).toEqual({});
    expect(describeLimits(limitsOf(undefined, 2))).toBe('1536 MiB of memory per node, 2048 processes per node, at most 1 cores per lab (and an equal share under contention)');
    expect(describeLimits({ ...DEFAULT_LIMITS })).toBe('1536 MiB of memory per node, 2048 processes per node, an equal share of the cores per lab (no cap)');
    expect(describeLimits({})).toBe('no memory limit, no process limit, no CPU share or cap');
  });
});
