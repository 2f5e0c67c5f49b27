// The classroom (issue #13) end to end, with real everything: `classroom up --students 2
// --engine local --engine tcp://...` brings up two real labs on two engines of this machine
// (class-01 on this machine's engine, class-02 inside a one-node lab's engine, class-03, reached
// over TLS as another machine of the room would be) and serves them; real Chromium (Debian's)
// opens the student's page and the instructor's radar. Student 1 types chapter 2's commands into
// the terminals of node1..node5 (an interactive TTY in each node, through the server), sees five
// nodes in `docker node ls` and clicks verify, which passes; the radar shows it within seconds.
// The instructor catches student 2 up from the radar; the server is killed in the middle and
// `classroom serve` finishes the job (same URLs). Student 2's token opens nothing of student 1's;
// no page makes a request outside the server. The second engine stops: its lab is dead on the
// radar, the other keeps working, repair brings it back with its progress. Measures the
// keystroke round trip in the browser and the radar's refresh. The student's page as students
// expect it (issue #24): a command block's button pastes it at its node's prompt (not run),
// select copies and Ctrl+Shift+V pastes, a reload or a new tab finds the terminals, the chapter
// and the last verify as they were, and at 390 px the key bar's Tab completes. Saves the
// README's screenshots (docs/classroom-student.png, docs/classroom-radar.png,
// docs/classroom-commands.png).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { cli, bin, tempHome, errorLines } from '../helpers/cli.js';
import { packageRoot } from '../../src/paths.js';
import { classroomEngineEndpoint, classroomEngineRunning, ensureClassroomEngine, labDown, labsLabelled, openLab, stopClassroomEngine } from '../../src/lab/index.js';
import { LABELS } from '../../src/labels.js';

const home = tempHome('devcoin-class-');
const env = { DEVCOIN_HOME: home };
process.env.DEVCOIN_HOME = home;
const LABS = ['class-01', 'class-02'];
/** a one-node lab whose engine is the classroom's second engine (two engines on this machine) */
const ENGINE_LAB = 'class-03';
let engine2 = '';

interface Urls {
  instructor: string;
  students: { name: string; lab: string; url: string }[];
}

interface Served {
  child: ChildProcess;
  urls: Urls;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `classroom up|serve --json` and waits for its one JSON line (the URLs, once ready). */
function serve(args: string[], timeoutMs: number): Promise<Served> {
  const child = spawn('node', [bin, '--json', 'classroom', ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`classroom ${args[0]} printed no URLs within ${timeoutMs / 1000} s:\n${err}`)), timeoutMs);
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) {
        clearTimeout(t);
        resolve({ child, urls: JSON.parse(line), stderr: () => err, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`classroom ${args[0]} exited ${code}:\n${err}`));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

let server: Served;
let browser: Browser;
let context: BrowserContext;
let student1: Page;
let radar: Page;
let origin = '';
const requests: string[] = [];
const figures: Record<string, string> = {};

async function cleanLabs() {
  for (const lab of [...LABS, ENGINE_LAB]) await labDown(lab).catch(() => {});
}

beforeAll(async () => {
  // my lab names only; a leftover of an interrupted run goes first
  await cleanLabs();
  // the second engine: a one-node lab's engine, reached over TLS on its address, as another
  // machine of the room would be
  const up3 = await cli(['--lab', ENGINE_LAB, 'lab', 'up', '--managers', '1', '--workers', '0'], env);
  expect(up3.exitCode, String(up3.stderr)).toBe(0);
  const address = (await (await openLab(ENGINE_LAB)).nodes())[0].address;
  const certs = JSON.parse(String((await cli(['--lab', ENGINE_LAB, '--json', 'lab', 'env', 'node1'], env)).stdout)).DOCKER_CERT_PATH as string;
  engine2 = `tcp://${address}:2376`;
  const t0 = Date.now();
  const tlsArgs = ['--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'cert.pem'), '--tlskey', join(certs, 'key.pem')];
  // the second engine runs without a user namespace: a lab there is not caged, so the classroom
  // refuses it (before it starts anything) unless the instructor says --allow-uncaged
  const refused = await cli(['classroom', 'up', '--students', '2', '--port', '0', '--engine', 'local', '--engine', engine2, ...tlsArgs], env);
  expect(refused.exitCode, String(refused.stderr)).toBe(2);
  expect(errorLines(String(refused.stderr))[0]).toMatch(new RegExp(`engine ${engine2.replace(/[.]/g, '\\.')} runs containers without a user namespace: a student with root in a lab there would be root on that machine`));
  expect(String(refused.stderr)).toContain('--userns-remap=default');
  server = await serve(['up', '--students', '2', '--port', '0', '--engine', 'local', '--engine', engine2, '--allow-uncaged', ...tlsArgs], 500_000);
  expect(server.stderr()).toMatch(new RegExp(`NOT caged \\(--allow-uncaged\\): the labs on ${engine2.replace(/[.]/g, '\\.')}`));
  figures['classroom up, 2 labs on 2 engines'] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  origin = new URL(server.urls.instructor).origin;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context = await browser.newContext({ viewport: { width: 1680, height: 960 } });
  context.on('request', (r) => requests.push(r.url()));
}, 600_000);

afterAll(async () => {
  console.log(`classroom figures:\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  await browser?.close().catch(() => {});
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGINT');
    await Promise.race([server.exited, sleep(10_000)]);
  }
  const down = await cli(['classroom', 'down'], env, 300_000);
  if (down.exitCode !== 0) console.log(`classroom down: ${down.stderr}`);
  await cleanLabs();
}, 600_000);

const term = (page: Page, node: string) => page.locator(`[data-testid=term-${node}] .xterm-rows`);

async function typeIn(page: Page, node: string, line: string, clear = true): Promise<void> {
  // a page in the background gets its frames at 1 Hz: what a student looks at is in front
  await page.bringToFront();
  await page.getByTestId(`tab-${node}`).click();
  await page.locator(`[data-testid=term-${node}] [data-state=open]`).waitFor({ timeout: 30_000 });
  // the shell's prompt first: keys typed before readline starts are echoed and then lost
  await waitFor(`${node}'s prompt`, async () => /\$ *$/.test((await screen(page, node)).trimEnd()), 30_000);
  await page.locator(`[data-testid=term-${node}] .xterm-helper-textarea`).focus();
  if (clear) await page.keyboard.press('Control+l');
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

async function screen(page: Page, node: string): Promise<string> {
  return (await term(page, node).innerText()).replace(/\u00a0/g, ' ');
}

/** The terminal's last line with the rows it wraps over joined (a long command wraps). */
async function promptLine(page: Page, node: string): Promise<string> {
  const rows = (await screen(page, node)).trimEnd().split('\n');
  const at = rows.map((r) => /\$ /.test(r)).lastIndexOf(true);
  return at < 0 ? '' : rows.slice(at).join('');
}

describe('classroom: bad input', () => {
  it('refuses N larger than fits, a bad N, a bad bind and a port that is taken, in one line each, changing nothing', async () => {
    const tooMany = await cli(['classroom', 'up', '--students', '90'], { DEVCOIN_HOME: tempHome() });
    expect(tooMany.exitCode).toBe(2);
    expect(errorLines(String(tooMany.stderr))).toHaveLength(1);
    expect(tooMany.stderr).toMatch(/90 student labs do not fit in this machine's memory: [\d.]+ GiB free, ~\d+ MiB and ~[\d.]+ cores per lab at the secrets chapter: at most \d+ fit — use --students \d+/);
    const bad = await cli(['classroom', 'up', '--students', 'two']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--students must be a whole number from 1 to 99 \(not "two"\)/);
    const bind = await cli(['classroom', 'up', '--students', '1', '--bind', 'everywhere']);
    expect(bind.exitCode).toBe(2);
    expect(bind.stderr).toMatch(/--bind takes an IP address of this machine, not "everywhere"/);
    // a port some other program holds
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as { port: number }).port;
    const otherHome = tempHome();
    const taken = await cli(['classroom', 'up', '--students', '1', '--port', String(port)], { DEVCOIN_HOME: otherHome });
    holder.close();
    expect(taken.exitCode).toBe(1);
    expect(errorLines(String(taken.stderr))).toEqual([`devcoin-workshop: port ${port} on 127.0.0.1 is taken by another program — choose another with --port, or stop that program`]);
    expect(existsSync(join(otherHome, 'classroom', 'roster.json'))).toBe(false);
    // an engine that does not answer: one line naming it (exit 3), nothing made
    const deadHome = tempHome();
    const dead = await cli(['classroom', 'up', '--students', '1', '--engine', 'tcp://127.0.0.1:1'], { DEVCOIN_HOME: deadHome });
    expect(dead.exitCode).toBe(3);
    expect(errorLines(String(dead.stderr))).toHaveLength(1);
    expect(dead.stderr).toMatch(/engine tcp:\/\/127\.0\.0\.1:1 does not answer/);
    expect(existsSync(join(deadHome, 'classroom', 'roster.json'))).toBe(false);
    // a second classroom of another size is refused while this one is there
    const again = await cli(['classroom', 'up', '--students', '3'], env);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/a classroom of 2 students is here already/);
  });
});

describe('classroom: the student and the radar in Chromium', () => {
  it('prints one URL per student and one for the instructor, each with its own 256-bit token', () => {
    const { instructor, students } = server.urls;
    expect(students.map((s) => [s.name, s.lab])).toEqual([['student-01', 'class-01'], ['student-02', 'class-02']]);
    const tokens = [instructor, ...students.map((s) => s.url)].map((u) => /\/[si]\/([A-Za-z0-9_-]{43})\/$/.exec(u)?.[1]);
    expect(tokens.every(Boolean)).toBe(true);
    expect(new Set(tokens).size).toBe(3);
    expect(new URL(instructor).hostname).toBe('127.0.0.1');
  });

  it('a command a click away: chapter 1\'s first command\'s button puts it at node1\'s prompt, not run; select copies, Ctrl+Shift+V pastes', async () => {
    // the page reads and writes the clipboard for the test's own checks (the Clipboard API)
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const page = await context.newPage();
    await page.goto(server.urls.students[0].url);
    await expect.poll(() => page.getByTestId('chapter').getAttribute('data-slug'), { timeout: 15_000 }).toBe('compose');
    // a button on every command block, none elsewhere
    const blocks = page.locator('[data-testid=chapter] .cmd');
    const buttons = await page.locator('[data-testid=chapter] [data-testid=paste]').count();
    expect(buttons).toBeGreaterThan(5);
    expect(buttons).toBe(await blocks.count());
    expect(await page.locator('[data-testid=chapter] .cmd[data-node] > [data-testid=paste]').count()).toBe(buttons);
    const first = blocks.first();
    expect(await first.getAttribute('data-node')).toBe('node1');
    expect(await first.locator('code').textContent()).toBe('cat /workshop/compose.yml');
    await page.locator('[data-testid=term-node1] [data-state=open]').waitFor({ timeout: 30_000 });
    await first.getByTestId('paste').click();
    await waitFor('the command at node1\'s prompt', async () => /\$ cat \/workshop\/compose\.yml *$/.test(await promptLine(page, 'node1')), 15_000);
    // pasted, not run: a second later it is still at the prompt and the file was not printed
    await sleep(1000);
    expect(await promptLine(page, 'node1')).toMatch(/\$ cat \/workshop\/compose\.yml *$/);
    expect(await screen(page, 'node1')).not.toMatch(/services:/);
    // the key went to the terminal: Ctrl+U empties the line
    await page.keyboard.press('Control+u');
    // select to copy (a double click selects a word), Ctrl+Shift+V pastes it back
    await page.keyboard.type('echo copy-$((6*7))-done');
    await page.keyboard.press('Enter');
    const out = term(page, 'node1').locator('div', { hasText: /^copy-42-done/ }).first();
    await out.waitFor({ timeout: 10_000 });
    const box = (await out.boundingBox())!;
    await page.mouse.dblclick(box.x + 20, box.y + box.height / 2);
    await expect.poll(() => page.getByTestId('clipboard-hint').textContent(), { timeout: 5_000 }).toContain('copied 12 characters');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('copy-42-done');
    await page.evaluate(() => navigator.clipboard.writeText('echo pasted-with-the-shortcut'));
    await page.locator('[data-testid=term-node1] .xterm-helper-textarea').focus();
    await page.keyboard.press('Control+Shift+V');
    await waitFor('the clipboard at node1\'s prompt', async () => /\$ echo pasted-with-the-shortcut *$/.test(await promptLine(page, 'node1')), 10_000);
    await page.keyboard.press('Control+u');
    // the hint says how (once the "copied" note has gone)
    await expect.poll(() => page.getByTestId('clipboard-hint').textContent(), { timeout: 5_000 }).toMatch(/Select text to copy it.*Ctrl\+Shift\+V or right click → Paste/);
    await page.close();
  });

  it('the CLI and the page share progress: goto swarm on the CLI, and the page shows chapter 2', async () => {
    const g = await cli(['--lab', 'class-01', 'goto', 'swarm'], env);
    expect(g.exitCode, String(g.stderr)).toBe(0);
    student1 = await context.newPage();
    await student1.goto(server.urls.students[0].url);
    await expect.poll(() => student1.getByTestId('chapter').getAttribute('data-slug'), { timeout: 15_000 }).toBe('swarm');
    expect(await student1.getByTestId('who').textContent()).toContain('student-01 · lab class-01');
    expect(await student1.getByTestId('chapter-compose').getAttribute('data-status')).toBe('done');
    // the chapter is the core's Markdown, commands at their node's prompt
    expect(await student1.locator('[data-testid=chapter] .cmd[data-node=node1] .prompt').first().textContent()).toBe('node1$');
  });

  it('a node2$ block\'s button opens node2\'s tab with the command at its prompt, not run', async () => {
    const block = student1.locator('[data-testid=chapter] .cmd[data-node=node2]').first();
    const command = (await block.locator('code').textContent())!;
    expect(command).toMatch(/^docker swarm join .*node1:2377$/);
    expect(await student1.locator('[data-testid=term-node2]').count()).toBe(0);
    await block.getByTestId('paste').click();
    await student1.locator('[data-testid=term-node2] [data-state=open]').waitFor({ timeout: 30_000 });
    expect(await student1.locator('[data-testid=term-node2]').isVisible()).toBe(true);
    expect(await student1.locator('[data-testid=term-node1]').isVisible()).toBe(false);
    await waitFor('the command at node2\'s prompt', async () => (await promptLine(student1, 'node2')).endsWith(`$ ${command}`), 30_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}; node2's screen:\n${await screen(student1, 'node2')}`);
    });
    await sleep(1000);
    expect((await promptLine(student1, 'node2')).endsWith(`$ ${command}`)).toBe(true);
    expect(await screen(student1, 'node2')).not.toMatch(/joined a swarm|Error/);
    // the README's picture: the block and its button in the middle of the text, the key bar below the terminal
    await block.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await student1.screenshot({ path: join(packageRoot, 'docs', 'classroom-commands.png') });
    await student1.keyboard.press('Control+u');
  });

  it('the labs are placed by free memory over both engines, and the radar shows each lab\'s engine', async () => {
    // class-02's nodes and hub run inside the second engine, not on this machine's
    const inside = await (await openLab(ENGINE_LAB)).exec('node1', `docker ps -q --filter label=${LABELS.lab}=class-02 | wc -l`);
    expect(inside.stdout.trim()).toBe('6');
    radar = await context.newPage();
    await radar.goto(server.urls.instructor);
    await radar.locator('[data-testid=radar-row][data-student=student-02]').waitFor({ timeout: 15_000 });
    expect(await radar.getByTestId('radar-row').count()).toBe(2);
    expect(await radar.locator('[data-testid=radar-row][data-student=student-01] [data-testid=engine]').textContent()).toBe('local');
    expect(await radar.locator('[data-testid=radar-row][data-student=student-02] [data-testid=engine]').textContent()).toBe(engine2);
    await expect.poll(() => radar.locator('[data-testid=radar-row][data-student=student-01]').getAttribute('data-chapter'), { timeout: 20_000 }).toBe('swarm');
  });

  it('student 1 types chapter 2 into node1..node5, sees five nodes in docker node ls, and verify passes', async () => {
    await typeIn(student1, 'node1', 'docker swarm init --advertise-addr $(hostname -i)');
    await waitFor('swarm init', async () => /Swarm initialized/.test(await screen(student1, 'node1')), 60_000);
    // a token is ~85 characters: a terminal narrower than that (its width depends on the page's
    // layout) wraps it over two rows of the screen, so it is read in two halves, each on a line
    const readToken = async (role: string) => {
      await typeIn(student1, 'node1', `t=$(docker swarm join-token -q ${role}); echo "${role}-a:$(echo $t | cut -c1-40)"; echo "${role}-b:$(echo $t | cut -c41-)"`);
      return waitFor(`the ${role} token`, async () => {
        const text = await screen(student1, 'node1');
        const a = new RegExp(`^${role}-a:(SWMTKN-1-[\\w-]{31})$`, 'm').exec(text)?.[1];
        const b = new RegExp(`^${role}-b:([\\w-]{20,})$`, 'm').exec(text)?.[1];
        return a && b ? a + b : undefined;
      });
    };
    const manager = await readToken('manager');
    const worker = await readToken('worker');
    expect(worker).not.toBe(manager);
    for (const [node, token] of [['node2', manager], ['node3', manager], ['node4', worker], ['node5', worker]] as const) {
      await typeIn(student1, node, `docker swarm join --advertise-addr $(hostname -i) --token ${token} node1:2377`);
      await waitFor(`${node} to join`, async () => /This node joined a swarm as a (manager|worker)/.test(await screen(student1, node)), 90_000).catch(async (e) => {
        throw new Error(`${(e as Error).message}; ${node}'s screen:\n${await screen(student1, node)}`);
      });
    }
    const nodeLs = await waitFor('five Ready nodes in docker node ls', async () => {
      await typeIn(student1, 'node1', 'docker node ls');
      await sleep(1500);
      const s = await screen(student1, 'node1');
      const rows = s.split('\n').filter((l) => /\bnode[1-5]\b\s+Ready\s+Active/.test(l));
      return rows.length === 5 ? s : undefined;
    }, 60_000, 500);
    expect(nodeLs).toMatch(/node1 +Ready +Active +Leader/);
    expect(nodeLs.match(/Reachable/g)).toHaveLength(2);

    const t0 = Date.now();
    await student1.getByTestId('verify').click();
    await student1.getByTestId('checks').waitFor({ timeout: 45_000 });
    const checks = await student1.getByTestId('check').evaluateAll((els) => els.map((e) => [e.getAttribute('data-id'), e.getAttribute('data-ok')]));
    expect(checks).toHaveLength(3);
    expect(checks.filter(([, ok]) => ok !== 'true')).toEqual([]);
    expect(await student1.getByTestId('message').textContent()).toMatch(/every check passes/);
    // the radar shows it within a few seconds of the click's answer
    const answered = Date.now();
    await radar.locator('[data-testid=radar-row][data-student=student-01][data-state=passing][data-checked=swarm]').waitFor({ timeout: 5_000 });
    figures['verify click -> radar shows passing'] = `${Date.now() - answered} ms after the answer (${((answered - t0) / 1000).toFixed(1)} s for verify itself)`;
    await student1.screenshot({ path: join(packageRoot, 'docs', 'classroom-student.png') });
  });

  it('keystroke round trip (typed character to its echo on screen), 50 keys in node1\'s terminal', async () => {
    await student1.bringToFront();
    await student1.getByTestId('tab-node1').click();
    await student1.locator('[data-testid=term-node1] .xterm-helper-textarea').focus();
    await student1.keyboard.press('Control+l');
    await student1.keyboard.type('#zz');
    await waitFor('the marker', async () => (await screen(student1, 'node1')).includes('#zz'));
    await student1.evaluate(() => {
      const w = window as unknown as { __arm: (expect: string) => void; __wait: Promise<number> };
      w.__arm = (expect: string) => {
        const rows = document.querySelector('[data-testid=term-node1] .xterm-rows')!;
        w.__wait = new Promise<number>((resolve) => {
          let t0 = -1;
          document.addEventListener('keydown', () => (t0 = performance.now()), { capture: true, once: true });
          const obs = new MutationObserver(() => {
            if (t0 >= 0 && (rows.textContent ?? '').includes(expect)) {
              obs.disconnect();
              resolve(performance.now() - t0);
            }
          });
          obs.observe(rows, { childList: true, subtree: true, characterData: true });
        });
      };
    });
    const keys = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX';
    const samples: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      await student1.evaluate((e) => (window as unknown as { __arm: (x: string) => void }).__arm(e), '#zz' + keys.slice(0, i + 1));
      await student1.keyboard.press(keys[i]);
      samples.push(await student1.evaluate(() => (window as unknown as { __wait: Promise<number> }).__wait));
    }
    await student1.keyboard.press('Control+u');
    expect(samples).toHaveLength(50);
    figures['keystroke round trip (browser, 50 keys)'] = `median ${median(samples).toFixed(1)} ms, p95 ${p95(samples).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`;
    // an interactive terminal: well under the 100 ms people notice
    expect(median(samples)).toBeLessThan(100);
  });

  it('the instructor watches student 1\'s terminal read-only: the screen is mirrored, keys never reach the shell', async () => {
    await radar.locator('[data-testid=radar-row][data-student=student-01] [data-testid=open-student]').click();
    await radar.locator('[data-testid=student-panel][data-student=student-01]').waitFor();
    const mirror = radar.locator('[data-testid=watch] .xterm-rows');
    await typeIn(student1, 'node1', 'echo mirrored-$((6*7))');
    await radar.bringToFront();
    await waitFor('the mirror to show the student\'s output', async () => (await mirror.innerText()).includes('mirrored-42'), 15_000);
    await radar.screenshot({ path: join(packageRoot, 'docs', 'classroom-radar.png') });
    // a watcher's socket that sends keys anyway: dropped by the server
    const t = /\/i\/([^/]+)\//.exec(server.urls.instructor)![1];
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/i/${t}/watch/student-01/node1`, { origin });
    await new Promise((r, j) => (ws.on('open', r), ws.on('error', j)));
    ws.send(Buffer.from('touch /tmp/watcher-typed\r'));
    await sleep(1500);
    ws.close();
    const lab = await openLab('class-01');
    expect((await lab.exec('node1', 'test -e /tmp/watcher-typed && echo there || echo absent')).stdout.trim()).toBe('absent');
  });

  it('coming back: a reload and a new tab find each terminal\'s output, the chapter and the place in it, and the last verify', async () => {
    await student1.bringToFront();
    await student1.getByTestId('tab-node3').click();
    const text = student1.getByTestId('chapter');
    const scroll = await text.evaluate((el) => (el.scrollTop = Math.min(400, el.scrollHeight - el.clientHeight)));
    expect(scroll).toBeGreaterThan(0);
    await sleep(300);
    const asBefore = async (page: Page) => {
      await expect.poll(() => page.getByTestId('chapter').getAttribute('data-slug'), { timeout: 15_000 }).toBe('swarm');
      // the tab the student was on, its shell's output replayed
      await page.locator('[data-testid=term-node3] [data-state=open]').waitFor({ timeout: 15_000 });
      expect(await page.locator('[data-testid=term-node3]').isVisible()).toBe(true);
      await waitFor('node3\'s output replayed', async () => /This node joined a swarm as a manager/.test(await screen(page, 'node3')), 15_000);
      // the last verify: chapter 2's three checks, passing
      expect(await page.getByTestId('checks').getAttribute('data-chapter')).toBe('swarm');
      expect(await page.getByTestId('check').evaluateAll((els) => els.map((e) => e.getAttribute('data-ok')))).toEqual(['true', 'true', 'true']);
      expect(await page.getByTestId('message').textContent()).toMatch(/every check passes.*last verify/);
      await page.getByTestId('tab-node1').click();
      await waitFor('node1\'s output replayed', async () => (await screen(page, 'node1')).includes('mirrored-42'), 15_000);
    };
    await student1.reload();
    await asBefore(student1);
    expect(Math.abs((await text.evaluate((el) => el.scrollTop)) - scroll)).toBeLessThanOrEqual(2);
    // a new tab: the same
    await student1.getByTestId('tab-node3').click();
    const again = await context.newPage();
    await again.goto(server.urls.students[0].url);
    await asBefore(again);
    await again.close();
  });

  it('at 390 px: the text and the terminal each a tap away, a command\'s button shows the terminal, the key bar\'s Tab completes and Ctrl-C cancels', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    phone.on('request', (r) => requests.push(r.url()));
    try {
      const page = await phone.newPage();
      await page.goto(server.urls.students[0].url);
      await page.getByTestId('chapter').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('text-pane').isVisible()).toBe(true);
      expect(await page.getByTestId('term-pane').isVisible()).toBe(false);
      await page.getByTestId('pane-term').tap();
      expect(await page.getByTestId('text-pane').isVisible()).toBe(false);
      await page.locator('[data-testid=term-node1] [data-state=open]').waitFor({ timeout: 30_000 });
      await waitFor('node1\'s prompt', async () => /\$ *$/.test((await screen(page, 'node1')).trimEnd()), 30_000);
      await page.locator('[data-testid=term-node1] .xterm-helper-textarea').focus();
      await page.keyboard.type('ls /worksh');
      await page.getByTestId('key-tab').tap();
      await waitFor('the shell to complete /workshop/', async () => /\$ ls \/workshop\/ *$/.test(await promptLine(page, 'node1')), 10_000);
      await page.getByTestId('key-ctrl-c').tap();
      await waitFor('Ctrl-C to cancel the line', async () => (await screen(page, 'node1')).replace(/\n/g, '').includes('ls /workshop/^C'), 10_000);
      // a command's button from the text: the terminal comes to the front with it at the prompt
      await page.getByTestId('pane-text').tap();
      const block = page.locator('[data-testid=chapter] .cmd[data-node=node1]').first();
      const command = (await block.locator('code').textContent())!;
      await block.getByTestId('paste').tap();
      expect(await page.getByTestId('term-pane').isVisible()).toBe(true);
      await waitFor('the command at node1\'s prompt', async () => (await promptLine(page, 'node1')).endsWith(`$ ${command}`), 10_000);
      await page.getByTestId('key-ctrl-c').tap();
      await waitFor('Ctrl-C to cancel it', async () => /\$ *$/.test((await screen(page, 'node1')).trimEnd()), 10_000);
    } finally {
      await phone.close();
      // the phone made node1's shell 45 columns wide: student 1's page sizes it back
      await student1.getByTestId('tab-node2').click();
      await student1.getByTestId('tab-node1').click();
    }
  });

  it('the radar refreshes every lab within seconds (measured in the browser, 2 labs)', async () => {
    await radar.bringToFront();
    // every time a row shows a new verify result, in the page's own clock
    const seen = await radar.evaluate(
      (ms) =>
        new Promise<Record<string, number[]>>((resolve) => {
          const times: Record<string, number[]> = {};
          const table = document.querySelector('[data-testid=radar]')!;
          const obs = new MutationObserver((ms) => {
            for (const m of ms) {
              const el = m.target as HTMLElement;
              if (m.attributeName === 'data-checked-at' && el.dataset.student) (times[el.dataset.student] ??= []).push(performance.now());
            }
          });
          obs.observe(table, { attributes: true, subtree: true, attributeFilter: ['data-checked-at'] });
          setTimeout(() => (obs.disconnect(), resolve(times)), ms);
        }),
      20_000,
    );
    const intervals = Object.values(seen).flatMap((ts) => ts.slice(1).map((t, i) => t - ts[i]));
    expect(Object.keys(seen).sort()).toEqual(['student-01', 'student-02']);
    expect(intervals.length).toBeGreaterThanOrEqual(4);
    const snap = await (await fetch(`${origin}/i/${/\/i\/([^/]+)\//.exec(server.urls.instructor)![1]}/api/radar`)).json();
    figures['radar: a row refreshed every (browser, 2 labs, 20 s)'] = `median ${(median(intervals) / 1000).toFixed(1)} s, p95 ${(p95(intervals) / 1000).toFixed(1)} s`;
    figures['radar: a round over both labs (server)'] = `last ${(snap.refresh.lastMs / 1000).toFixed(1)} s, p95 ${(snap.refresh.p95Ms / 1000).toFixed(1)} s over ${snap.refresh.rounds} rounds`;
    // a student's state is at most one interval (5 s) and one verify pass old
    expect(p95(intervals)).toBeLessThan(12_000);
    expect(await radar.getByTestId('refresh').textContent()).toMatch(/every lab verified in [\d.]+ s \(p95 [\d.]+ s\)/);
  });

  it('student 2\'s token opens nothing of student 1\'s: page, API, terminal, web UI; the same answer for any other student', async () => {
    const t1 = /\/s\/([^/]+)\//.exec(server.urls.students[0].url)![1];
    const t2 = /\/s\/([^/]+)\//.exec(server.urls.students[1].url)![1];
    // student 2's page is student 2's
    const page2 = await context.newPage();
    await page2.goto(server.urls.students[1].url);
    await expect.poll(() => page2.getByTestId('who').textContent(), { timeout: 15_000 }).toContain('student-02 · lab class-02');
    await page2.close();
    const state2 = await (await fetch(`${origin}/s/${t2}/api/state`)).json();
    expect(state2.lab).toBe('class-02');
    // the instructor's area with a student's token: 403, the same body for a student who exists and one who does not
    const answers = await Promise.all([
      fetch(`${origin}/i/${t2}/`),
      fetch(`${origin}/i/${t2}/api/radar`),
      fetch(`${origin}/i/${t2}/api/students/student-01/goto`, { method: 'POST', body: '{"chapter":"compose"}' }),
      fetch(`${origin}/i/${t2}/api/students/student-99/goto`, { method: 'POST', body: '{"chapter":"compose"}' }),
      fetch(`${origin}/s/${t2.slice(0, -1)}${t2.endsWith('A') ? 'B' : 'A'}/api/state`),
    ]);
    const bodies = await Promise.all(answers.map((r) => r.text()));
    expect(answers.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect(new Set(bodies.slice(1)).size).toBe(1);
    expect(bodies[1]).toContain('this link is not valid here');
    expect((await fetch(`${origin}/s/`)).status).toBe(401);
    expect((await fetch(`${origin}/s/not-a-token/api/state`)).status).toBe(403);
    // WebSockets: a student's token on the instructor's mirror, and any token from another origin
    const wsStatus = (path: string, o = origin) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${origin.replace('http', 'ws')}${path}`, { origin: o });
        ws.on('open', () => (ws.close(), resolve(101)));
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      });
    expect(await wsStatus(`/i/${t2}/watch/student-01/node1`)).toBe(403);
    expect(await wsStatus(`/i/${t2}/radar`)).toBe(403);
    expect(await wsStatus(`/s/${t1}/term/node1`, 'http://evil.example')).toBe(403);
    expect(await wsStatus(`/s/${t2}/term/node1`)).toBe(101);
    // the web UI proxy: no cookie, 401; student 2's cookie reaches class-02's node1 only
    expect((await fetch(`${origin}/`)).status).toBe(401);
    const set = await fetch(`${origin}/s/${t2}/web?port=80`, { redirect: 'manual' });
    expect(set.status).toBe(302);
    const cookie = set.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    expect(set.headers.getSetCookie()[0]).toMatch(/HttpOnly; SameSite=Strict/);
    const web = await fetch(`${origin}/`, { headers: { cookie } });
    expect(web.status).toBe(502);
    expect(await web.text()).toMatch(/nothing answers on node1:80 of class-02 yet/);
  });

  it('the instructor catches student 2 up; the server killed in the middle, `classroom serve` finishes it with the same URLs', async () => {
    const row2 = radar.locator('[data-testid=radar-row][data-student=student-02]');
    await row2.locator('[data-testid=open-student]').click();
    await radar.getByTestId('goto-chapter').selectOption('services');
    await radar.getByTestId('goto').click();
    await radar.locator('[data-testid=radar-row][data-student=student-02][data-state=busy]').waitFor({ timeout: 10_000 });
    // the job is in the roster before it runs; kill the server in the middle of it
    const roster = () => JSON.parse(readFileSync(join(home, 'classroom', 'roster.json'), 'utf8'));
    expect(roster().students[1].pending).toMatchObject({ op: 'goto', chapter: 'services', by: 'instructor' });
    // a moment into it: on a quiet machine the whole catch-up takes about 3 s (a 3 s wait here
    // sometimes let it finish first, and nothing was left to kill)
    await sleep(300);
    server.child.kill('SIGKILL');
    await server.exited;
    const killed = roster().students[1];
    expect(killed.pending?.chapter, `the job ended before the kill: ${killed.lastJobError ?? 'no error'}\n${server.stderr()}`).toBe('services');
    const before = server.urls;
    server = await serve(['serve', '--verbose'], 60_000);
    expect(server.urls).toEqual(before);
    // the page's sockets come back by themselves; the radar shows the job finished
    await radar.locator('[data-testid=radar-row][data-student=student-02][data-chapter=services]:not([data-state=busy])').waitFor({ timeout: 180_000 });
    expect(roster().students[1].pending).toBeUndefined();
    expect(roster().students[1].lastJobError).toBeUndefined();
    const cur = await cli(['--lab', 'class-02', '--json', 'current'], env);
    expect(JSON.parse(String(cur.stdout)).chapter).toBe('services');
    // chapter 3 starts with the swarm formed: the catch-up really ran
    const lab = await openLab('class-02');
    expect((await lab.exec('node1', "docker node ls --format '{{.Status}}' | grep -c Ready")).stdout.trim()).toBe('5');
    // the request log (--verbose) shows paths, never a token
    await waitFor('a logged request', async () => /GET \/i\/<token>\//.test(server.stderr()) || /WS \/i\/<token>\/radar 101/.test(server.stderr()), 15_000);
    for (const u of [before.instructor, ...before.students.map((s) => s.url)]) expect(server.stderr()).not.toContain(/\/[si]\/([^/]+)\//.exec(u)![1]);
  });

  it('an engine that stops answering: its lab is dead on the radar, named, the other lab keeps working; repair brings it back with its progress', async () => {
    await radar.bringToFront();
    const engineLab = await openLab(ENGINE_LAB);
    await engineLab.stop(['node1']);
    const dead = radar.locator('[data-testid=radar-row][data-student=student-02][data-state=dead]');
    await dead.waitFor({ timeout: 60_000 });
    const why = (await dead.getByTestId('dead').textContent()) ?? '';
    expect(why).toContain(engine2.replace('tcp://', ''));
    // student 1's lab is on the other engine: still verified, still passing
    const row1 = radar.locator('[data-testid=radar-row][data-student=student-01]');
    const before = Number(await row1.getAttribute('data-checked-at'));
    await waitFor('student 1 verified again', async () => Number(await row1.getAttribute('data-checked-at')) > before, 30_000);
    expect(await row1.getAttribute('data-state')).toBe('passing');
    // the machine comes back; its lab's nodes are stopped: repair starts them, progress kept
    await engineLab.start(['node1']);
    await radar.locator('[data-testid=radar-row][data-student=student-02] [data-testid=open-student]').click();
    await radar.getByTestId('repair').click();
    await radar.locator('[data-testid=radar-row][data-student=student-02][data-chapter=services]:not([data-state=dead]):not([data-state=busy])').waitFor({ timeout: 240_000 });
    expect((await (await openLab('class-02')).nodes()).map((n) => n.state)).toEqual(['running', 'running', 'running', 'running', 'running']);
    figures['dead engine noticed and repaired'] = why;
  });

  it('student 1 asks for the hint, then next: chapter 3 on the page, the radar and the CLI', async () => {
    await student1.bringToFront();
    await student1.getByTestId('hint').click();
    await expect.poll(() => student1.getByTestId('hint-text').textContent(), { timeout: 10_000 }).toMatch(/docker swarm init must run on node1/);
    await student1.getByTestId('next').click();
    await expect.poll(() => student1.getByTestId('chapter').getAttribute('data-slug'), { timeout: 45_000 }).toBe('services');
    expect(await student1.getByTestId('message').textContent()).toBe('on to services');
    expect(await student1.getByTestId('chapter-swarm').getAttribute('data-status')).toBe('done');
    await radar.locator('[data-testid=radar-row][data-student=student-01][data-chapter=services]').waitFor({ timeout: 20_000 });
    const cur = await cli(['--lab', 'class-01', '--json', 'current'], env);
    expect(JSON.parse(String(cur.stdout)).chapter).toBe('services');
  });

  it('no page made a request outside the server', () => {
    expect(requests.length).toBeGreaterThan(10);
    const outside = requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:'));
    expect(outside).toEqual([]);
  });

  it('Ctrl-C stops the server and keeps labs, tokens and progress; ls lists them; down removes every lab of the classroom', async () => {
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    const ls = await cli(['--json', 'classroom', 'ls'], env);
    expect(ls.exitCode, String(ls.stderr)).toBe(0);
    const rows = JSON.parse(String(ls.stdout)).students;
    expect(rows.map((r: { student: string; lab: string; engine: string; state: string; chapter: string }) => [r.student, r.lab, r.engine, r.state, r.chapter])).toEqual([
      ['student-01', 'class-01', 'local', 'up', 'services'],
      ['student-02', 'class-02', engine2, 'up', 'services'],
    ]);
    expect(ls.stdout).not.toMatch(/[A-Za-z0-9_-]{43}/);
    const roster = JSON.parse(readFileSync(join(home, 'classroom', 'roster.json'), 'utf8'));
    const id = roster.id;
    const ep2 = { host: engine2, tls: roster.tls, source: engine2 };
    // class-01 is on the classroom's own engine (the cage), none on this machine's
    expect(await labsLabelled(`${LABELS.classroom}=${id}`, classroomEngineEndpoint())).toEqual(['class-01']);
    expect(await labsLabelled(`${LABELS.classroom}=${id}`)).toEqual([]);
    expect(await labsLabelled(`${LABELS.classroom}=${id}`, ep2)).toEqual(['class-02']);
    // class-01's own cgroup (its CPU share) on this machine, there while it lives, gone with it
    const cgroupOf01 = () => ['/sys/fs/cgroup/cpu/devcoin-lab-class-01', '/sys/fs/cgroup/devcoin-lab-class-01'].filter((d) => existsSync(d));
    expect(cgroupOf01().length, 'class-01 has a cgroup of its own').toBeGreaterThan(0);
    const down = await cli(['classroom', 'down'], env, 300_000);
    expect(down.exitCode, String(down.stderr)).toBe(0);
    expect(down.stdout).toMatch(/removed 2 lab\(s\) \(class-01, class-02\)/);
    expect(cgroupOf01(), "class-01's cgroup after classroom down").toEqual([]);
    expect(await labsLabelled(`${LABELS.classroom}=${id}`, ep2)).toEqual([]);
    // the classroom engine stopped with the classroom; started again, it holds none of its labs
    expect(classroomEngineRunning()).toBe(false);
    await ensureClassroomEngine();
    expect(await labsLabelled(`${LABELS.classroom}=${id}`, classroomEngineEndpoint())).toEqual([]);
    await stopClassroomEngine();
    expect(existsSync(join(home, 'classroom'))).toBe(false);
    const none = await cli(['classroom', 'serve'], env);
    expect(none.exitCode).toBe(2);
    expect(errorLines(String(none.stderr))).toEqual(['devcoin-workshop: there is no classroom here — start one with `devcoin-workshop classroom up --students N`']);
  }, 300_000);
});
