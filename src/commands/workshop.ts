// PLACEHOLDER: replaced by the real command in this session.
import type { Command } from 'commander';
export function registerWorkshop(_program: Command): void {}
