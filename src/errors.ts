// Errors a user can act on. The top-level handler prints `message` as one line (plus `hint`
// on a second line when given) and exits with `exitCode`; no stack trace unless --verbose.
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Exit codes with a meaning, so scripts can tell failures apart. */
export const ExitCode = {
  ok: 0,
  failed: 1, // a check failed, or the job did not finish
  usage: 2, // bad arguments or unknown names
  engine: 3, // no Docker engine, or not allowed to use it
  interrupted: 130,
} as const;

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
