// Runs the real tether binary for the tests: TETHER_BIN, or built from this
// repository with go once per test file. No Go and no TETHER_BIN is an
// error, never a skip.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
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

