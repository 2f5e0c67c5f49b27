// The one way to wait for something here: poll until it holds or the time is up, and put a time
// limit on a promise. (testcontainers' IntervalRetry is the model: fixed interval, deadline.)

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls `fn` every `everyMs` until it returns true or `timeoutMs` has passed; a call that throws
 * counts as false. Resolves true when it held, false when the time ran out (the caller says why).
 */
export async function until(fn: () => Promise<boolean>, timeoutMs: number, everyMs = 500): Promise<boolean> {
  return (await poll(async () => ((await fn()) ? true : undefined), timeoutMs, everyMs)) ?? false;
}

/** Like `until`, for a value: the first defined result of `fn`, or undefined when the time ran out. */
export async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 500): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) return undefined;
    await sleep(everyMs);
  }
}

/**
 * `p`, or an error after `ms` (the work behind `p` is not cancelled). The timer keeps Node alive
 * meanwhile, on purpose: an unref'd one let `lab up` end with exit 13 while a port held a request.
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, message = `no answer within ${ms / 1000} s`): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(Object.assign(new Error(message), { code: 'ETIMEDOUT' })), ms)))]);
  } finally {
    clearTimeout(t);
  }
}
