// What a chapter is: its Markdown (what the student reads, and what run/demo execute) and its
// module (the checks of `verify` and the catch-up of `goto`).
import type { CatchUpTouch, Lab } from '../lab/index.js';

export interface CheckResult {
  ok: boolean;
  /** what was seen, e.g. "3/5 running": why it fails, when it does */
  detail?: string;
  /** the state may still change by itself (Swarm converging): verify waits for it */
  converging?: boolean;
}

export interface Check {
  id: string;
  title: string;
  /** what to look at when it fails */
  hint: string;
  run(lab: Lab): Promise<CheckResult>;
}

export interface ChapterModule {
  checks: Check[];
  /** Brings a lab to the state this chapter starts from (idempotent). */
  catchUp(lab: Lab, progress: (text: string) => void): Promise<void>;
  /** What that catch-up may remove (asked about on machines the lab did not make); all when unsaid */
  touches?: CatchUpTouch[];
  /**
   * The port of node1 that serves the web UI once the chapter is done (80: compose, the proxy;
   * 8080: chapter 6's web UI); `run` and `next` then print where the browser opens it
   */
  webPort?: 80 | 8080;
}

/** A fenced command: ```sh node1 (or @service: the node running one of its tasks). */
export interface CommandStep {
  kind: 'command';
  node: string;
  command: string;
  /** the block is expected to fail, with output matching this (the lesson is the failure) */
  expectFail?: RegExp;
}

export interface DirectiveStep {
  kind: 'directive';
  name: 'wait' | 'lab' | 'run' | 'capture';
  node?: string;
  /** wait: seconds; capture: variable name */
  arg?: string;
  body: string;
}

export type Step = CommandStep | DirectiveStep;

export interface ParsedChapter {
  title: string;
  /** the first paragraph: the narration of demo and the intro that `next` shows */
  intro: string;
  steps: Step[];
  /** the text for `show`, directives removed */
  markdown: string;
  /** the "Hint" section, if any */
  hint?: string;
}

export interface Chapter extends ParsedChapter {
  number: number;
  slug: string;
  dir: string;
  module: ChapterModule;
  /** the chapter as read on a lab with the routing mesh and without it (the fields above: without) */
  forms: Record<'mesh' | 'dnsrr', ParsedChapter>;
}
