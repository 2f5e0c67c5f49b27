// On machines the lab did not make, a catch-up asks before it removes anything that was there
// before `lab connect`: what counts is decided here, from two inventories.
import { describe, it, expect } from 'vitest';
import { preexisting, type Inventory } from '../../src/lab/remote/inventory.js';

const empty: Inventory = { compose: [], services: [], secrets: [], configs: [], volumes: [], images: [] };

describe('what a catch-up would remove that was there before lab connect', () => {
  const before: Inventory = {
    swarm: { cluster: 'abcdefabcdef0123', node: 'n1' },
    compose: ['devcoin-redis-1'],
    services: ['registry', 'web', 'devcoin_api'],
    secrets: ['redis_password', 'db'],
    configs: ['devcoin-miner-v2', 'nginx'],
    volumes: ['registry-data', 'pgdata'],
    images: ['node1:5000/devcoin/miner:latest', 'postgres:16', 'devcoin-miner:dev'],
  };

  it('lists the user\'s swarm membership and compose project for the early chapters, nothing else', () => {
    expect(preexisting('node1', ['swarm', 'compose'], before, before)).toEqual([
      'node1: its membership in swarm abcdefabcdef (docker swarm leave --force)',
      'node1: compose container devcoin-redis-1 and its volumes',
    ]);
  });

  it('lists only the names the catch-up targets, never the user\'s others', () => {
    const all = preexisting('node1', ['services', 'registry-storage', 'images', 'configs', 'secrets'], before, before);
    expect(all).toEqual([
      'node1: service registry', 'node1: service devcoin_api',
      'node1: volume registry-data',
      'node1: image node1:5000/devcoin/miner:latest', 'node1: image devcoin-miner:dev',
      'node1: config devcoin-miner-v2',
      'node1: secret redis_password',
    ]);
    expect(all.join()).not.toMatch(/web|pgdata|postgres|nginx|\bdb\b/);
  });

  it('a worker, which does not know its cluster, is named by its node id', () => {
    const worker: Inventory = { ...empty, swarm: { cluster: '', node: 'w0rkerid0000xyz' } };
    expect(preexisting('node4', ['swarm'], worker, worker)).toEqual(['node4: its membership in a swarm, as worker node w0rkerid0000 (docker swarm leave --force)']);
  });

  it('what the lab made since connect is its own: not listed', () => {
    const now: Inventory = { ...empty, swarm: { cluster: 'new', node: 'n9' }, services: ['sleeper', 'registry'], volumes: ['registry-data'] };
    // a new swarm (the chapter formed it) and services made after connect: nothing to ask
    expect(preexisting('node1', ['swarm', 'services', 'registry-storage'], empty, now)).toEqual([]);
    // the machine left its old swarm and joined the lab's: the old membership is gone already
    expect(preexisting('node1', ['swarm'], before, now)).toEqual([]);
  });
});
