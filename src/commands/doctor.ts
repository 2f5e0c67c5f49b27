// PLACEHOLDER: replaced by the real command in this session.
import type { Command } from 'commander';
export function registerDoctor(_program: Command): void {}
