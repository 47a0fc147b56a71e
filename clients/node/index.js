// tether-host: run tether from a Node or Electron main process. No
// dependencies. See index.d.ts for the API and README.md for the pattern.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const STDERR_KEEP = 20; // lines of tether's stderr kept for error messages
const QUEUE_HIGH = 10000; // an iterator this far behind pauses reading tether
const QUEUE_LOW = 1000; // ... until it is back under this

const TRIPLES = {
  'linux x64': 'x86_64-unknown-linux-gnu',
  'linux arm64': 'aarch64-unknown-linux-gnu',
  'darwin x64': 'x86_64-apple-darwin',
  'darwin arm64': 'aarch64-apple-darwin',
  'win32 x64': 'x86_64-pc-windows-msvc',
  'win32 arm64': 'aarch64-pc-windows-msvc',
};

/** The Rust-style target triple of this platform (Tauri's naming), or null. */
export function targetTriple(platform = process.platform, arch = process.arch) {
  return TRIPLES[`${platform} ${arch}`] ?? null;
}

function defaultDirs() {
  const dirs = [];
  if (process.resourcesPath) dirs.push(path.join(process.resourcesPath, 'bin'), process.resourcesPath); // Electron
  const exeDir = path.dirname(process.execPath);
  dirs.push(exeDir);
  if (process.platform === 'darwin') dirs.push(path.join(exeDir, '..', 'Helpers'), path.join(exeDir, '..', 'Resources'));
  return dirs;
}

/**
 * Finds the tether executable shipped beside the app: `tether-<triple>` or
 * `tether` (with .exe on Windows) in `dirs` — by default Electron's
 * resources/bin and resources, then the executable's folder (and on macOS
 * the .app's Helpers and Resources). Throws an Error listing every path
 * tried when there is none.
 */
export function findTether({ dirs = defaultDirs(), name = 'tether' } = {}) {
  const exe = process.platform === 'win32' ? '.exe' : '';
  const triple = targetTriple();
  const names = [triple && `${name}-${triple}${exe}`, `${name}${exe}`].filter(Boolean);
  const tried = [];
  for (const dir of dirs) {
    for (const n of names) {
      const p = path.join(dir, n);
      tried.push(p);
      try {
        if (statSync(p).isFile()) return p;
      } catch { /* not there */ }
    }
  }
  throw new Error(`tether-host: no ${name} executable found (target ${triple ?? 'unknown'}); tried:\n  ${tried.join('\n  ')}`);
}

/** The arguments of `tether run` for these options. */
export function tetherArgs(opts) {
  if (!opts || typeof opts.command !== 'string' || !opts.command) {
    throw new TypeError('tether-host: options.command (the sidecar to run) is required');
  }
  const args = ['run', '--lifeline', 'stdin', '--output', 'json'];
  if (opts.name) args.push('--name', opts.name);
  if (opts.port !== undefined && opts.port !== null) args.push('--port', String(opts.port));
  if (opts.ready) args.push('--ready', opts.ready);
  if (opts.bundled) args.push('--bundled');
  args.push(...(opts.tetherArgs ?? []), '--', opts.command, ...(opts.args ?? []));
  return args;
}

/** An Error for a sidecar or tether that cannot be used, with tether's last words. */
export class TetherError extends Error {
  constructor(message, { event, exit, stderr } = {}) {
    super(stderr?.length ? `${message}\ntether said:\n${stderr.join('\n')}` : message);
    this.name = 'TetherError';
    this.event = event; // the gave_up event, when that is what happened
    this.exit = exit; // { code, signal } when tether is gone
  }
}

/**
 * tether running one sidecar. Spawns `tether run --lifeline stdin --output
 * json ...` at once. Emits 'event' (every event, typed as in events.d.ts),
 * 'stderr' (each line tether writes there) and 'exit' ({ code, signal,
 * error }) once tether is gone — exited, killed by a signal, or never
 * started. It never emits 'error': nothing a Tether does can crash the app
 * through an unhandled 'error' event.
 */
export class Tether extends EventEmitter {
  #child;
  #stderr = [];
  #readyWaiters = [];
  #statusWaiters = [];
  #iterators = new Set();
  #rl;
  #exitInfo = null;
  #exitPromise;
  #current = { pid: null, port: null, attempt: 0, ready: false, state: 'starting' };
  #gaveUp = null;

  constructor(opts) {
    super();
    this.options = opts;
    const args = tetherArgs(opts);
    let file = opts.tetherPath;
    let findError = null;
    if (!file) {
      try {
        file = findTether(opts.findOptions);
      } catch (e) {
        findError = e;
      }
    }
    this.#exitPromise = new Promise((resolve) => this.once('exit', resolve));
    if (findError) {
      queueMicrotask(() => this.#gone({ code: null, signal: null, error: findError }));
      return;
    }
    this.path = file;
    this.#child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
    });
    this.#child.on('error', (error) => this.#gone({ code: null, signal: null, error }));
    this.#child.stdin.on('error', () => {}); // a write after tether died: reported through 'exit'
    this.#rl = readline.createInterface({ input: this.#child.stdout, crlfDelay: Infinity }); // no line-length limit
    this.#rl.on('line', (line) => this.#onLine(line));
    readline.createInterface({ input: this.#child.stderr, crlfDelay: Infinity }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > STDERR_KEEP) this.#stderr.shift();
      this.emit('stderr', line);
    });
    // 'close': the process exited and its stdout has been read to the end,
    // so every event is delivered before 'exit'.
    this.#child.on('close', (code, signal) => this.#gone({ code, signal, error: null }));
    // Should something tether started still hold its stdout open, 'close'
    // waits for that process too: 2 s after 'exit', tether counts as gone.
    this.#child.on('exit', (code, signal) => {
      setTimeout(() => this.#gone({ code, signal, error: null }), 2000).unref();
    });
  }

  /** tether's pid (undefined when it did not start). */
  get pid() { return this.#child?.pid; }

  /** True once tether is gone (exited, killed, or never started). */
  get exited() { return this.#exitInfo !== null; }

  /** What is known without asking tether: the last attempt's pid, port, attempt, whether it is ready. */
  get current() { return { ...this.#current }; }

  #onLine(line) {
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      this.emit('stderr', `tether-host: not an event: ${line.slice(0, 200)}`);
      return;
    }
    if (!ev || typeof ev !== 'object' || typeof ev.event !== 'string') return;
    const cur = this.#current;
    switch (ev.event) {
      case 'spawned': Object.assign(cur, { pid: ev.pid, port: ev.port ?? null, attempt: ev.attempt, ready: false }); break;
      case 'ready':
        cur.ready = true;
        for (const w of this.#readyWaiters.splice(0)) w.resolve({ port: cur.port, pid: ev.pid, attempt: ev.attempt });
        break;
      case 'exited': Object.assign(cur, { pid: null, ready: false }); break;
      case 'state': cur.state = ev.state; break;
      case 'status': for (const w of this.#statusWaiters.splice(0)) w.resolve(ev); break;
      case 'gave_up':
        this.#gaveUp = ev;
        for (const w of this.#readyWaiters.splice(0)) w.reject(new TetherError(`tether-host: ${ev.name || 'the sidecar'} gave up: ${ev.error}`, { event: ev, stderr: this.#stderr }));
        break;
      default:
    }
    this.emit('event', ev);
    for (const it of this.#iterators) it.push(ev);
  }

  #gone(info) {
    if (this.#exitInfo) return;
    this.#exitInfo = info;
    this.#current.ready = false;
    this.#current.pid = null;
    for (const w of this.#readyWaiters.splice(0)) w.reject(this.#goneError());
    for (const w of this.#statusWaiters.splice(0)) w.reject(this.#goneError());
    for (const it of this.#iterators) it.end();
    this.emit('exit', info);
  }

  // #goneError says how tether ended, with the gave_up event and its stderr.
  #goneError() {
    const info = this.#exitInfo;
    const how = info.error ? `could not be started: ${info.error.message}` : info.signal ? `was killed by ${info.signal}` : `exited with status ${info.code}`;
    const gaveUp = this.#gaveUp ? ` after ${this.#gaveUp.name || 'the sidecar'} gave up: ${this.#gaveUp.error}` : '';
    return new TetherError(`tether-host: tether ${how}${gaveUp}`, { exit: info, event: this.#gaveUp ?? undefined, stderr: this.#stderr });
  }

  /**
   * Resolves with { port, pid, attempt } when the sidecar is ready (at once
   * if it is now), else at the next `ready` event. Rejects with a
   * TetherError if it gives up, if tether is gone, or after timeoutMs.
   */
  ready({ timeoutMs } = {}) {
    const cur = this.#current;
    if (cur.ready) return Promise.resolve({ port: cur.port, pid: cur.pid, attempt: cur.attempt });
    if (this.#exitInfo) return Promise.reject(this.#goneError());
    return this.#wait(this.#readyWaiters, timeoutMs, 'ready');
  }

  #wait(list, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      if (timeoutMs !== undefined) {
        const t = setTimeout(() => {
          list.splice(list.indexOf(w), 1);
          reject(new TetherError(`tether-host: not ${what} within ${timeoutMs} ms`, { stderr: this.#stderr }));
        }, timeoutMs);
        w.resolve = (v) => { clearTimeout(t); resolve(v); };
        w.reject = (e) => { clearTimeout(t); reject(e); };
      }
      list.push(w);
    });
  }

  /** Sends one command; resolves once it is written, rejects if tether is gone. */
  send(cmd) {
    if (this.#exitInfo) return Promise.reject(this.#goneError());
    if (!this.#child.stdin.writable) return Promise.reject(new TetherError('tether-host: tether is stopping: its stdin is closed'));
    return new Promise((resolve, reject) => {
      this.#child.stdin.write(JSON.stringify(cmd) + '\n', (e) => (e ? reject(new TetherError(`tether-host: writing to tether: ${e.message}`)) : resolve()));
    });
  }

  /** Asks tether for the sidecar's status; resolves with the `status` event. */
  status({ timeoutMs = 5000 } = {}) {
    const p = this.#wait(this.#statusWaiters, timeoutMs, 'answered');
    this.send({ cmd: 'status' }).catch(() => {});
    return p;
  }

  /** Restarts the sidecar (graceful stop, then a new attempt at once). */
  restart() { return this.send({ cmd: 'restart' }); }

  /** Writes data, as it is, to the sidecar's stdin. */
  write(data) { return this.send({ cmd: 'write', data: String(data) }); }

  /** Sends a signal (TERM, HUP, KILL...) to the sidecar's whole tree. */
  signal(sig) { return this.send({ cmd: 'signal', signal: sig }); }

  /**
   * Stops the sidecar and tether: closes tether's stdin (the lifeline), and
   * resolves with { code, signal, error, timedOut } once tether has exited.
   * If it has not within timeoutMs (default 10 s: tether's 5 s grace plus
   * a margin), tether is killed and timedOut is true. Resolves at once if
   * tether is already gone. Never rejects.
   */
  async stop({ timeoutMs = 10000 } = {}) {
    if (this.#exitInfo) return { ...this.#exitInfo, timedOut: false };
    this.#child.stdin.end();
    let timer;
    const timedOut = await Promise.race([
      this.#exitPromise.then(() => false),
      new Promise((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#child.kill('SIGKILL');
      await this.#exitPromise;
    }
    return { ...this.#exitInfo, timedOut };
  }

  /** Resolves with { code, signal, error } once tether is gone. */
  wait() { return this.#exitPromise; }

  /**
   * Events as an async iterator, from now until tether is gone. A consumer
   * far behind (10,000 events) pauses reading tether's output, which holds
   * up tether and the sidecar as a full pipe would; nothing is dropped.
   */
  [Symbol.asyncIterator]() {
    const queue = [];
    let wake = null;
    let ended = this.#exitInfo !== null;
    const rl = this.#rl;
    const it = {
      push: (ev) => {
        queue.push(ev);
        if (queue.length >= QUEUE_HIGH) rl?.pause();
        wake?.();
      },
      end: () => { ended = true; wake?.(); },
    };
    this.#iterators.add(it);
    const done = () => { this.#iterators.delete(it); rl?.resume(); return { value: undefined, done: true }; };
    return {
      next: async () => {
        while (queue.length === 0 && !ended) await new Promise((r) => { wake = r; });
        wake = null;
        if (queue.length === 0) return done();
        const value = queue.shift();
        if (queue.length === QUEUE_LOW) rl?.resume();
        return { value, done: false };
      },
      return: async () => done(),
      [Symbol.asyncIterator]() { return this; },
    };
  }
}
