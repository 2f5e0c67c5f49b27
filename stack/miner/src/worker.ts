// A worker thread's side: one HashLoop; hash counts are sent in batches (a message per chunk
// would cost more than the hashing), found coins at once.
import { parentPort, workerData } from 'node:worker_threads';
import { HashLoop, type Gate, type LoopSettings } from './loop.js';

export interface WorkerInit {
  role: 'devcoin-miner-worker';
  minerId: string;
  prev: string;
  settings: LoopSettings;
  /** shared with the main thread (its buffer is a SharedArrayBuffer) */
  gate: Gate;
}

export type ToWorker = { type: 'settings'; settings: LoopSettings } | { type: 'stop' };
export type FromWorker =
  | { type: 'hashes'; n: number }
  | { type: 'coin'; prev: string; nonce: string; hash: string; difficulty: number; time: number }
  | { type: 'stopped' };

export function runWorker(): void {
  const init = workerData as WorkerInit;
  const port = parentPort!;
  let pending = 0;
  const flush = () => {
    if (pending > 0) port.postMessage({ type: 'hashes', n: pending } satisfies FromWorker);
    pending = 0;
  };
  const timer = setInterval(flush, 100);
  const loop = new HashLoop(
    init.minerId,
    init.prev,
    init.settings,
    {
      onHashes: (n) => (pending += n),
      onCoin: (f, difficulty, time) => {
        flush();
        port.postMessage({ type: 'coin', ...f, difficulty, time } satisfies FromWorker);
      },
    },
    init.gate,
  );
  port.on('message', async (msg: ToWorker) => {
    if (msg.type === 'settings') loop.update(msg.settings);
    else if (msg.type === 'stop') {
      await loop.stop();
      clearInterval(timer);
      flush();
      port.postMessage({ type: 'stopped' } satisfies FromWorker);
      port.close();
    }
  });
  loop.start();
}
