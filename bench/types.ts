// What every benchmark returns and gets: kept apart so run.ts and the figures import it, not each other.
export interface Figure {
  id: string;
  title: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target: string;
  met: boolean | null;
  runs: number[];
  note?: string;
  /** miner-scaling: the total hash rate for each number of miners (the README's paragraph) */
  points?: { miners: number; rate: number }[];
}

export interface BenchOptions {
  quick: boolean;
  lab: string;
  log: (text: string) => void;
}
