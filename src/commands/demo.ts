// PLACEHOLDER: replaced by the real command in this session.
import type { Command } from 'commander';
export function registerDemo(_program: Command): void {}
