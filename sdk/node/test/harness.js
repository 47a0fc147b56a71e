// Runs the real tether binary for the tests: TETHER_BIN, or built from this
// repository with go once per test file. No Go and no TETHER_BIN is an
// error, never a skip.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
let built = null;

export function tetherBin() {
  if (process.env.TETHER_BIN) return process.env.TETHER_BIN;
  if (!built) {
    const dir = mkdtempSync(path.join(tmpdir(), 'tether-node-test-'));
    built = path.join(dir, 'tether');
    execFileSync('go', ['build', '-o', built, './cmd/tether'], { cwd: repo, stdio: 'inherit' });
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return built;
}

let seq = 0;
export function newTag(name) {
  return `${name.replace(/\W+/g, '_')}-${process.pid}-${++seq}`;
}

/** Live processes (not zombies) whose environment holds SDK_TEST_TAG=tag. */
export function tagged(tag) {
  const want = Buffer.from(`SDK_TEST_TAG=${tag}\0`);
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`).includes(want)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && state !== 'X') pids.push(Number(name));
    } catch { /* gone */ }
  }
  return pids;
}

export async function noLeftovers(tag, withinMs = 5000) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const pids = tagged(tag);
    if (pids.length === 0) return;
    if (Date.now() > deadline) {
      for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
      throw new Error(`processes left behind: ${pids}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `tether run ARGS -- COMMAND...` with its events collected. */
export class Tether {
  constructor(args, command, env = {}) {
    this.tag = newTag('tether');
    this.dir = mkdtempSync(path.join(tmpdir(), 'tether-node-sidecar-'));
    this.proc = spawn(tetherBin(), ['run', '--output', 'json', '--grace', '5s', ...args, '--', ...command], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, SDK_TEST_TAG: this.tag, SIDECAR_TEST_DIR: this.dir, ...env },
    });
    this.proc.stdin.on('error', () => {});
    this.events = [];
    this.taken = new Set();
    this.waiters = new Set();
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    this.closed = false;
    readline.createInterface({ input: this.proc.stdout, crlfDelay: Infinity })
      .on('line', (line) => { this.events.push(JSON.parse(line)); this.wake(); })
      .on('close', () => { this.closed = true; this.wake(); });
  }

  wake() { for (const w of this.waiters) w(); }

  kinds() {
    return this.events.map((e) => e.event + (e.line !== undefined ? `(${JSON.stringify(e.line)})` : '') + (e.error ? `(${JSON.stringify(e.error)})` : '')).join(' ');
  }

  /** The first event not returned before that matches, in tether's order. */
  async await(what, match, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = 0; i < this.events.length; i++) {
        if (!this.taken.has(i) && match(this.events[i])) {
          this.taken.add(i);
          return this.events[i];
        }
      }
      if (this.closed) throw new Error(`tether exited before ${what}; events: ${this.kinds()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; events: ${this.kinds()}`);
      await new Promise((resolve) => {
        const t = setTimeout(done, left);
        function done() { clearTimeout(t); resolve(); }
        this.waiters.add(done);
      }).finally(() => this.waiters.clear());
    }
  }

  kind(kind, attempt, timeoutMs) {
    return this.await(kind + (attempt ? ` ${attempt}` : ''), (e) => e.event === kind && (attempt === undefined || e.attempt === attempt), timeoutMs);
  }

  line(text, timeoutMs) {
    return this.await(`a line with ${JSON.stringify(text)}`, (e) => e.event === 'stdout' && (e.line ?? '').includes(text), timeoutMs);
  }

  send(cmd) { this.proc.stdin.write(JSON.stringify(cmd) + '\n'); }

  async close() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
    await noLeftovers(this.tag);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
