// The host facts of doctor (issue #15), fed with the /proc contents and `docker info` answers of
// the hosts students bring: cgroup v1/v2/hybrid, rootless, Docker Desktop, WSL2, low inotify.
import { describe, expect, it } from 'vitest';
import {
  cgroupFromMountinfo, groupNames, isDockerDesktop, isRootless, isWsl, judgeInotify, userKind,
} from '../../src/docker/host-facts.js';
import { checkCgroup, checkDesktop, checkInotify, checkRootless, checkUser, checkWsl, engineWhere } from '../../src/doctor/index.js';

// /proc/self/mountinfo as seen on this project's Debian 12 machine (cgroup v1)
const V1 = `23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd`;
// Debian 12 / Ubuntu 22.04+ / Docker Desktop's VM: the unified hierarchy only
const V2 = `23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`;
// systemd's hybrid layout (Ubuntu 20.04): v1 controllers and a cgroup2 at unified
const HYBRID = `31 23 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
32 31 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
33 31 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
34 31 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory`;

describe('cgroup mode from /proc/self/mountinfo', () => {
  it('tells v1, v2 and hybrid apart, like stat -fc %T /sys/fs/cgroup', () => {
    expect(cgroupFromMountinfo(V1)).toEqual({ mode: 'v1', hybrid: false });
    expect(cgroupFromMountinfo(V2)).toEqual({ mode: 'v2', hybrid: false });
    // stat -fc %T /sys/fs/cgroup says tmpfs there: v1 for Docker, with a cgroup2 beside it
    expect(cgroupFromMountinfo(HYBRID)).toEqual({ mode: 'v1', hybrid: true });
    expect(cgroupFromMountinfo('').mode).toBe('unknown');
    // optional fields (shared:N master:N) before the separator are skipped
    expect(cgroupFromMountinfo('1 0 0:1 / /sys/fs/cgroup rw shared:1 master:2 - cgroup2 cgroup2 rw').mode).toBe('v2');
  });

  it('doctor says what follows for the nodes, with the engine and this machine', () => {
    const v1 = checkCgroup({ CgroupVersion: '1', CgroupDriver: 'cgroupfs' }, { mode: 'v1', hybrid: false }, 'local');
    expect(v1.summary).toBe('cgroup v1 (cgroupfs driver; /proc/self/mountinfo: v1): the node entrypoint remounts each hierarchy read-write for its nested engine');
    expect(checkCgroup({ CgroupVersion: '1', CgroupDriver: 'cgroupfs' }, { mode: 'v1', hybrid: true }, 'local').summary).toMatch(/^cgroup v1 \(cgroupfs driver; \/proc\/self\/mountinfo: v1, hybrid\): the node entrypoint remounts/);
    expect(v1.status).toBe('pass');
    const v2 = checkCgroup({ CgroupVersion: '2', CgroupDriver: 'systemd' }, undefined, 'desktop');
    expect(v2.summary).toMatch(/^cgroup v2 \(systemd driver\): the node entrypoint moves its processes to an init cgroup/);
    // the engine says nothing (old engine): this machine's mountinfo, when the engine is here
    expect(checkCgroup({}, { mode: 'v2', hybrid: false }, 'local').summary).toMatch(/^cgroup v2 /);
    // ... but not when the engine is elsewhere: this machine's cgroups are not its
    const unknown = checkCgroup({}, { mode: 'v2', hybrid: false }, 'remote');
    expect(unknown.status).toBe('warn');
  });
});

describe('engine kinds from docker info', () => {
  it('rootless: name=rootless among the SecurityOptions', () => {
    expect(isRootless({ SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless', 'name=cgroupns'] })).toBe(true);
    expect(isRootless({ SecurityOptions: ['name=apparmor', 'name=seccomp,profile=default'] })).toBe(false);
    expect(isRootless({})).toBe(false);
    expect(checkRootless({ SecurityOptions: ['name=rootless'] }).status).toBe('warn');
    expect(checkRootless({ SecurityOptions: ['name=seccomp,profile=default'] }).summary).toMatch(/^not a rootless engine/);
  });

  it('Docker Desktop: its OperatingSystem or its name docker-desktop', () => {
    const desktop = { OperatingSystem: 'Docker Desktop', Name: 'docker-desktop', KernelVersion: '6.10.14-linuxkit' };
    expect(isDockerDesktop(desktop)).toBe(true);
    expect(isDockerDesktop({ Name: 'docker-desktop' })).toBe(true);
    expect(isDockerDesktop({ OperatingSystem: 'Debian GNU/Linux 12 (bookworm)', Name: 'lab' })).toBe(false);
    // Desktop's socket is a unix socket on the Mac too: the engine is still in a VM
    expect(engineWhere('unix:///Users/me/.docker/run/docker.sock', desktop)).toBe('desktop');
    expect(engineWhere('unix:///var/run/docker.sock', { OperatingSystem: 'Debian GNU/Linux 12 (bookworm)' })).toBe('local');
    expect(engineWhere('tcp://10.0.0.5:2376', {})).toBe('remote');
    expect(checkDesktop('desktop', desktop).summary).toMatch(/cannot route to container addresses.*127\.0\.0\.1 port \(`lab ls` shows the URL\)/);
    expect(checkDesktop('local', {}).summary).toMatch(/^not Docker Desktop/);
  });
});

describe('WSL from /proc/version', () => {
  it('names Microsoft or WSL', () => {
    expect(isWsl('Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0) #1 SMP')).toBe(true);
    expect(isWsl('Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0) #1237-Microsoft')).toBe(true);
    expect(isWsl('Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP Debian 6.1.76-1')).toBe(false);
    expect(checkWsl(true).summary).toMatch(/^WSL: .*127\.0\.0\.1 port/);
    expect(checkWsl(false).summary).toMatch(/^not WSL/);
  });
});

describe('inotify limits', () => {
  it('low max_user_instances (< 512) warns and says which sysctl raises it', () => {
    const v = judgeInotify(128, 192_536);
    expect(v.ok).toBe(false);
    expect(v.summary).toMatch(/^inotify max_user_instances 128, max_user_watches 192536: low/);
    expect(v.fix).toMatch(/^sysctl -w fs\.inotify\.max_user_instances=512 \(as root/);
    expect(v.fix).not.toContain('max_user_watches');
  });

  it('low watches (the old default 8192) asks for both when both are low', () => {
    const v = judgeInotify(128, 8192);
    expect(v.fix).toMatch(/fs\.inotify\.max_user_instances=512 fs\.inotify\.max_user_watches=524288/);
  });

  it('enough of both passes; unreadable (not Linux) is no warning', () => {
    expect(judgeInotify(8192, 1_048_576)).toMatchObject({ ok: true, fix: '' });
    expect(judgeInotify(undefined, 8192).ok).toBe(true);
    // the limits that count are the engine's kernel's: not this machine's when the engine is elsewhere
    expect(checkInotify({ instances: 128, watches: 8192 }, 'desktop').status).toBe('pass');
    expect(checkInotify({ instances: 128, watches: 8192 }, 'local').status).toBe('warn');
  });
});

describe('who runs the CLI', () => {
  it('root, a user in the docker group, or neither', () => {
    expect(userKind({ uid: 0, groups: ['root'] })).toBe('root');
    expect(userKind({ uid: 1000, groups: ['me', 'sudo', 'docker'] })).toBe('docker-group');
    expect(userKind({ uid: 1000, groups: ['me'] })).toBe('other');
    expect(checkUser({ uid: 0, groups: ['root'] }, 'root').summary).toMatch(/^running as root/);
    expect(checkUser({ uid: 1000, groups: ['docker'] }, 'me').summary).toMatch(/^running as me, in the docker group/);
    const other = checkUser({ uid: 1000, groups: ['me'] }, 'me');
    expect(other.status).toBe('warn');
    expect(other.fix).toContain('usermod -aG docker');
  });

  it('group names from /proc/self/status and /etc/group', () => {
    const status = 'Name:\tnode\nUid:\t1000\t1000\t1000\t1000\nGroups:\t27 999 1000 \n';
    const etc = 'root:x:0:\nsudo:x:27:me\ndocker:x:999:me\nme:x:1000:\n';
    expect(groupNames(status, etc)).toEqual(['sudo', 'docker', 'me']);
    expect(groupNames('Groups:\t\n', etc)).toEqual([]);
  });
});
