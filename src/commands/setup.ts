// PLACEHOLDER: replaced by the real command in this session.
import type { Command } from 'commander';
export function registerSetup(_program: Command): void {}
export function registerImages(_program: Command): void {}
