// PLACEHOLDER: replaced by the real command in this session.
import type { Command } from 'commander';
export function registerLab(_program: Command): void {}
