// The classroom server: node:http for pages and the API, `ws` for the terminals, the student's
// live events and the radar. Every page, API call and WebSocket carries a token in its path
// (/s/<student token>/..., /i/<instructor token>/...); a missing one is 401, a wrong one 403 with
// the same body whoever it might have belonged to. WebSockets must come from this server's own
// pages (Origin). Every asset is served from dist/web/classroom: no request leaves the server.
// The request log (given by the face, --verbose) never shows a token: paths are redacted.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { packageRoot } from '../paths.js';
import { errorMessage, UserError } from '../errors.js';
import type { Face, WorkshopEvent } from '../events.js';
import { labUsage, openLab, webUrlOf } from '../lab/index.js';
import { chapterOf, listChapters, next, progressOf, verify, type CheckOutcome } from '../workshop/index.js';
import { nodeOfTask } from '../swarm/index.js';
import { chapterHtml } from './render.js';
import { Radar, type LabHealth, type RadarOptions, type StudentView } from './radar.js';
import { updateStudent, type Roster, type Student } from './roster.js';
import { TerminalHub } from './terminals.js';
import { looksLikeToken, redact, sameToken, whichToken } from './tokens.js';
import { cookiesOf, forward, PORT_COOKIE, WEB_COOKIE } from './webproxy.js';
import { Jobs } from './jobs.js';

export const webRoot = () => join(packageRoot, 'dist', 'web', 'classroom');

const NODE = /^node[1-9]$/;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.json': 'application/json', '.ico': 'image/x-icon',
};
// the pages may load and connect to this server only (no CDN, no other host)
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const DENIED = 'this link is not valid here: ask your instructor for yours';

export interface ServerOptions {
  roster: Roster;
  /** the request log (verbose): paths with tokens redacted */
  log?: (line: string) => void;
  radar?: RadarOptions;
  /** where the built pages are (default dist/web/classroom) */
  root?: string;
}

type Who = { role: 'student'; student: Student } | { role: 'instructor' };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ClassroomServer {
  readonly http: Server;
  readonly radar: Radar;
  readonly terminals: TerminalHub;
  readonly jobs: Jobs;
  private wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private studentSockets = new Map<string, Set<WebSocket>>();
  /** each student's last verify (their button, or next refusing), for a page opened again */
  private lastVerify = new Map<string, { chapter: string; ok: boolean; checks: CheckOutcome[]; at: number }>();
  private radarSockets = new Set<WebSocket>();
  private root: string;
  private index?: string;

  constructor(private opts: ServerOptions) {
    const roster = opts.roster;
    this.root = opts.root ?? webRoot();
    this.terminals = new TerminalHub(async (lab, node, size) => (await openLab(lab)).terminal(node, size));
    this.radar = new Radar(
      roster.students.map((s) => s.name),
      {
        progress: (lab) => progressOf(lab),
        health: labHealth,
        usage: async (lab) => labUsage(await openLab(lab)),
        // the student hears it on their page, as a line in the log and a banner
        limitHit: (name, lines) => this.send(name, { type: 'limits', lines }),
        verify: async (lab) => {
          const r = await verify(lab, undefined, 0);
          return { chapter: r.chapter, checks: r.checks };
        },
        student: (name) => this.viewOf(name),
        chapterSeen: (name, chapter, at) => {
          updateStudent(roster, name, (s) => {
            s.chapter = chapter;
            s.chapterSince = at;
          });
        },
      },
      opts.radar,
    );
    this.jobs = new Jobs(roster, {
      faceOf: (s) => this.faceOf(s),
      changed: (s) => {
        this.send(s.name, { type: 'job', job: s.pending ? describeJob(s) : undefined, error: s.lastJobError });
        this.radar.touch();
      },
      finished: (s, result) => {
        // the lab was made over: the student's last verify is of what is gone
        this.lastVerify.delete(s.name);
        if (result) this.radar.record(s.name, result.chapter, result.checks);
        else this.radar.refreshNow(s.name);
      },
      closeTerminals: (lab) => this.terminals.closeLab(lab),
    });
    this.radar.onChange((snap) => {
      const text = JSON.stringify({ type: 'radar', radar: snap });
      for (const ws of this.radarSockets) if (ws.readyState === ws.OPEN) ws.send(text);
    });
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err) => this.fail(req, res, err));
    });
    this.http.on('upgrade', (req, socket, head) => {
      this.upgrade(req, socket as Duplex, head).catch(() => socket.destroy());
    });
  }

  private viewOf(name: string): StudentView | undefined {
    const s = this.opts.roster.students.find((x) => x.name === name);
    if (!s) return undefined;
    return { name: s.name, lab: s.lab, engine: s.engine, chapter: s.chapter, chapterSince: s.chapterSince, job: s.pending ? describeJob(s) : undefined, jobError: s.lastJobError };
  }

  /** Listens on bind:port; the port taken is one line (exit 1). Returns the port (0 picks one). */
  async listen(bind: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.http.off('listening', onListening);
        if (err.code === 'EADDRINUSE') reject(new UserError(`port ${port} on ${bind} is taken by another program`, 'choose another with --port, or stop that program'));
        else if (err.code === 'EADDRNOTAVAIL') reject(new UserError(`${bind} is not an address of this machine`, 'use --bind 127.0.0.1 (this machine only) or --bind 0.0.0.0 (the room)', 2));
        else if (err.code === 'EACCES') reject(new UserError(`port ${port} needs more privileges than this user has`, 'choose a port above 1023 with --port'));
        else reject(err);
      };
      const onListening = () => {
        this.http.off('error', onError);
        resolve();
      };
      this.http.once('error', onError);
      this.http.once('listening', onListening);
      this.http.listen(port, bind);
    });
    const addr = this.http.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  start(): void {
    this.radar.start();
    this.jobs.resumePending();
  }

  async close(): Promise<void> {
    await this.radar.stop();
    this.terminals.closeAll();
    for (const ws of this.wss.clients) ws.terminate();
    this.http.closeAllConnections?.();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  /** What the student's page hears: the core's events while its verify, next or catch-up runs. */
  private faceOf(s: Student): Face {
    return {
      emit: (e: WorkshopEvent) => this.send(s.name, { type: 'event', event: e.type === 'output' ? { type: 'output', text: e.chunk.toString('utf8') } : e }),
    };
  }

  private send(name: string, msg: unknown): void {
    const text = JSON.stringify(msg);
    for (const ws of this.studentSockets.get(name) ?? []) if (ws.readyState === ws.OPEN) ws.send(text);
  }

  // ---- authentication ----

  /** Who the path's token says this is, for the area (`s` or `i`); throws 401 (none) or 403. */
  private who(area: string, token: string | undefined): Who {
    if (!token) throw new HttpError(401, 'a classroom link with its token is needed');
    if (!looksLikeToken(token)) throw new HttpError(403, DENIED);
    const r = this.opts.roster;
    if (area === 's') {
      const student = whichToken(token, r.students.map((s) => ({ token: s.token, value: s })));
      if (student) return { role: 'student', student };
    } else if (area === 'i' && sameToken(token, r.instructorToken)) {
      return { role: 'instructor' };
    }
    throw new HttpError(403, DENIED);
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('finish', () => this.opts.log?.(`${req.method} ${redact(new URL(req.url ?? '/', 'http://x').pathname)} ${res.statusCode}`));
    const url = new URL(req.url ?? '/', 'http://classroom');
    const parts = url.pathname.split('/').slice(1);
    const [area, token, ...rest] = parts;
    if (area === '_c') return this.asset(res, parts.slice(1));
    if (area !== 's' && area !== 'i') return this.webUi(req, res);
    const who = this.who(area, token);
    if (req.method === 'POST') this.sameOrigin(req);
    const route = rest.join('/');
    if (route === '' && req.method === 'GET') return this.page(res);
    if (who.role === 'student') return this.studentApi(req, res, who.student, route, url);
    return this.instructorApi(req, res, route);
  }

  private sameOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined) return; // not a browser's cross-site request
    let host = '';
    try {
      host = new URL(origin).host;
    } catch {
      /* refused below */
    }
    if (host !== req.headers.host) throw new HttpError(403, 'requests must come from the classroom page');
  }

  private headers(res: ServerResponse, type: string, extra: Record<string, string> = {}): void {
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    this.headers(res, 'application/json; charset=utf-8');
    res.statusCode = status;
    res.end(JSON.stringify(body));
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const status = err instanceof HttpError ? err.status : err instanceof UserError ? 409 : 500;
    const message = err instanceof UserError && err.hint ? `${err.message} — ${err.hint}` : errorMessage(err).split('\n')[0];
    if (res.headersSent) return void res.destroy();
    const wantsHtml = req.method === 'GET' && !/\/api\//.test(req.url ?? '') && (req.headers.accept ?? '').includes('text/html');
    if (wantsHtml) {
      this.headers(res, 'text/html; charset=utf-8');
      res.statusCode = status;
      res.end(`<!doctype html><meta charset="utf-8"><title>DevCoin classroom</title><p>${message.replace(/[<>&]/g, '')}</p>\n`);
    } else this.json(res, status, { error: message });
  }

  private asset(res: ServerResponse, parts: string[]): void {
    const rel = normalize(parts.join('/'));
    const file = join(this.root, rel);
    if (rel.startsWith('..') || !file.startsWith(this.root + sep) || !existsSync(file) || !statSync(file).isFile()) throw new HttpError(404, 'no such file');
    this.headers(res, TYPES[extname(file)] ?? 'application/octet-stream', { 'Cache-Control': 'public, max-age=31536000, immutable' });
    res.end(readFileSync(file));
  }

  private page(res: ServerResponse): void {
    const file = join(this.root, 'index.html');
    if (!this.index) {
      if (!existsSync(file)) throw new HttpError(500, 'the classroom pages are not built: run `npm run build`');
      this.index = readFileSync(file, 'utf8');
    }
    this.headers(res, 'text/html; charset=utf-8');
    res.end(this.index);
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 16 * 1024) throw new HttpError(413, 'request too large');
      chunks.push(c as Buffer);
    }
    if (!size) return {};
    try {
      const v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* below */
    }
    throw new HttpError(400, 'the request body must be a JSON object');
  }

  private async studentApi(req: IncomingMessage, res: ServerResponse, s: Student, route: string, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    if (route === 'api/state' && method === 'GET') return this.json(res, 200, await this.stateOf(s));
    if (route === 'api/hint' && method === 'GET') {
      const c = await chapterOf(s.lab);
      return this.json(res, 200, { chapter: c.slug, html: c.hint ? chapterHtml(c.hint) : undefined });
    }
    if (route === 'api/verify' && method === 'POST') {
      if (s.pending) throw new HttpError(409, `${describeJob(s)}: wait for it to finish`);
      const t0 = Date.now();
      const r = await verify(s.lab, undefined, 30_000, this.faceOf(s));
      this.radar.record(s.name, r.chapter, r.checks, Date.now() - t0);
      this.lastVerify.set(s.name, { chapter: r.chapter, ok: r.ok, checks: r.checks, at: Date.now() });
      return this.json(res, 200, r);
    }
    if (route === 'api/next' && method === 'POST') {
      if (s.pending) throw new HttpError(409, `${describeJob(s)}: wait for it to finish`);
      const r = await next(s.lab, {}, this.faceOf(s));
      if (!r.moved && r.checks) {
        this.radar.record(s.name, r.chapter, r.checks);
        this.lastVerify.set(s.name, { chapter: r.chapter, ok: false, checks: r.checks, at: Date.now() });
      } else this.radar.refreshNow(s.name);
      return this.json(res, 200, { chapter: r.chapter, moved: r.moved, next: r.next?.slug, checks: r.checks });
    }
    if (route === 'api/catch-up' && method === 'POST') {
      const { chapter } = await this.body(req);
      const target = typeof chapter === 'string' && chapter ? chapter : (await progressOf(s.lab)).current;
      await chapterOf(s.lab, target); // an unknown chapter is one line, before anything starts
      this.jobs.start(s, { op: 'goto', chapter: target, by: 'student' });
      return this.json(res, 202, { job: describeJob(s) });
    }
    if (route === 'api/where' && method === 'GET') {
      // which node runs a task of a service now: a command block for `@service` is pasted there
      const service = url.searchParams.get('service') ?? '';
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(service)) throw new HttpError(400, 'say which service: ?service=NAME');
      const node = await nodeOfTask(await openLab(s.lab), service).catch(() => undefined);
      if (!node) throw new HttpError(409, `no task of ${service} is running now: is the chapter's stack up?`);
      return this.json(res, 200, { service, node });
    }
    if (route === 'web' && method === 'GET') {
      // the web UI of this student's lab at the server's root (its pages use absolute paths)
      const port = url.searchParams.get('port') === '8080' ? '8080' : '80';
      res.setHeader('Set-Cookie', [
        `${WEB_COOKIE}=${s.token}; Path=/; HttpOnly; SameSite=Strict`,
        `${PORT_COOKIE}=${port}; Path=/; HttpOnly; SameSite=Strict`,
      ]);
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('Cache-Control', 'no-store');
      res.statusCode = 302;
      res.setHeader('Location', '/');
      return void res.end();
    }
    throw new HttpError(404, 'no such page or call');
  }

  private async stateOf(s: Student) {
    const [chapter, chapters] = await Promise.all([chapterOf(s.lab), listChapters(s.lab)]);
    let nodes: { name: string; state: string }[] = [];
    let web: Record<string, boolean> = {};
    let labError: string | undefined;
    try {
      const all = await (await openLab(s.lab)).nodes();
      nodes = all.map((n) => ({ name: n.name, state: n.state }));
      web = { 80: !!webUrlOf(all, 80), 8080: !!webUrlOf(all, 8080) };
    } catch (err) {
      labError = errorMessage(err).split('\n')[0];
    }
    return {
      student: s.name, lab: s.lab, engine: s.engine,
      chapter: { number: chapter.number, slug: chapter.slug, title: chapter.title, html: chapterHtml(chapter.markdown), webPort: chapter.module.webPort },
      chapters, nodes, web, labError,
      job: s.pending ? describeJob(s) : undefined, jobError: s.lastJobError,
      lastVerify: this.lastVerify.get(s.name),
    };
  }

  private async instructorApi(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (route === 'api/radar' && method === 'GET') return this.json(res, 200, this.radar.snapshot());
    if (route === 'api/chapters' && method === 'GET') {
      const first = this.opts.roster.students[0];
      return this.json(res, 200, first ? (await listChapters(first.lab)).map(({ number, slug, title }) => ({ number, slug, title })) : []);
    }
    const m = /^api\/students\/([a-z0-9-]+)\/(goto|repair)$/.exec(route);
    if (m && method === 'POST') {
      const s = this.opts.roster.students.find((x) => x.name === m[1]);
      if (!s) throw new HttpError(404, `no student ${m[1]} in this classroom`);
      if (m[2] === 'goto') {
        const { chapter } = await this.body(req);
        if (typeof chapter !== 'string' || !chapter) throw new HttpError(400, 'say which chapter: {"chapter": "stack"}');
        await chapterOf(s.lab, chapter);
        this.jobs.start(s, { op: 'goto', chapter, by: 'instructor' });
      } else this.jobs.start(s, { op: 'repair', by: 'instructor' });
      return this.json(res, 202, { job: describeJob(s) });
    }
    throw new HttpError(404, 'no such page or call');
  }

  /** Everything else: the student's web UI, for a browser that carries its web cookie. */
  private webUi(req: IncomingMessage, res: ServerResponse): void {
    const cookies = cookiesOf(req);
    const token = cookies[WEB_COOKIE];
    if (!token) throw new HttpError(401, 'open the web UI from your classroom page');
    const s = looksLikeToken(token) ? whichToken(token, this.opts.roster.students.map((x) => ({ token: x.token, value: x }))) : undefined;
    if (!s) throw new HttpError(403, DENIED);
    const port = cookies[PORT_COOKIE] === '8080' ? 8080 : 80;
    void openLab(s.lab)
      .then((lab) => lab.nodes())
      .then((nodes) => {
        const target = webUrlOf(nodes, port);
        if (!target) throw new HttpError(502, `${s.lab} publishes no web port ${port} on node1`);
        forward(req, res, target, () => this.fail(req, res, new HttpError(502, `nothing answers on node1:${port} of ${s.lab} yet: run the chapter that starts the web UI`)));
      })
      .catch((err) => this.fail(req, res, err));
  }

  // ---- WebSockets ----

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refuse = (status: number, text: string) => {
      this.opts.log?.(`WS ${redact(req.url ?? '')} ${status}`);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', 'http://classroom');
    const [area, token, ...rest] = url.pathname.split('/').slice(1);
    let who: Who;
    try {
      if (area !== 's' && area !== 'i') throw new HttpError(404, 'Not Found');
      who = this.who(area, token);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      return refuse(status, status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found');
    }
    // a WebSocket is opened only by this server's own pages
    let originHost = '';
    try {
      originHost = new URL(req.headers.origin ?? '').host;
    } catch {
      /* refused below */
    }
    if (!originHost || originHost !== req.headers.host) return refuse(403, 'Forbidden');
    const route = rest.join('/');
    const accept = (fn: (ws: WebSocket) => void | Promise<void>) =>
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.opts.log?.(`WS ${redact(url.pathname)} 101`);
        Promise.resolve(fn(ws)).catch((err) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', error: errorMessage(err).split('\n')[0] }));
          ws.close(4004, 'could not open');
        });
      });
    if (who.role === 'student') {
      const s = who.student;
      if (route === 'events') {
        return accept((ws) => {
          let set = this.studentSockets.get(s.name);
          if (!set) this.studentSockets.set(s.name, (set = new Set()));
          set.add(ws);
          ws.on('close', () => set!.delete(ws));
        });
      }
      const t = /^term\/(node\d)$/.exec(route);
      if (t && NODE.test(t[1])) {
        const cols = clamp(url.searchParams.get('cols'), 80, 1000);
        const rows = clamp(url.searchParams.get('rows'), 24, 500);
        return accept((ws) => this.terminals.attachWriter(ws, s.lab, t[1], { cols, rows }));
      }
      return refuse(404, 'Not Found');
    }
    if (route === 'radar') {
      return accept((ws) => {
        this.radarSockets.add(ws);
        ws.on('close', () => this.radarSockets.delete(ws));
        ws.send(JSON.stringify({ type: 'radar', radar: this.radar.snapshot() }));
      });
    }
    const w = /^watch\/([a-z0-9-]+)\/(node\d)$/.exec(route);
    const s = w && this.opts.roster.students.find((x) => x.name === w[1]);
    if (w && s && NODE.test(w[2])) return accept((ws) => this.terminals.attachWatcher(ws, s.lab, w[2]));
    return refuse(404, 'Not Found');
  }
}

function clamp(v: string | null, dflt: number, max: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 && n <= max ? n : dflt;
}

export function describeJob(s: Student): string {
  const j = s.pending;
  if (!j) return '';
  return j.op === 'goto' ? `catching up to ${j.chapter}` : 'repairing the lab';
}

/** Whether a lab is up: every node running. A lab that cannot be opened says why. */
export async function labHealth(name: string): Promise<LabHealth> {
  const lab = await openLab(name);
  const nodes = (await lab.nodes()).map((n) => ({ name: n.name, state: n.state }));
  const down = nodes.filter((n) => n.state !== 'running');
  if (!nodes.length) return { up: false, detail: `lab ${name} has no nodes`, nodes };
  return down.length ? { up: false, detail: down.map((n) => `${n.name} ${n.state}`).join(', '), nodes } : { up: true, nodes };
}
