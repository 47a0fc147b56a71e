// docs/hosts.md's Electron main process, run as written under plain node
// with a stand-in `electron` module (fixtures/electron) against the real
// tether and a real helper.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tetherBin, newTag, noLeftovers, repo, tagged, sleep } from './harness.js';

const clientDir = fileURLToPath(new URL('..', import.meta.url));
const api = fileURLToPath(new URL('./fixtures/api.mjs', import.meta.url));

/** The first js block after the heading, exactly as the docs show it. */
export function snippet() {
  const doc = readFileSync(path.join(repo, 'docs/hosts.md'), 'utf8');
  const at = doc.indexOf('### In an Electron main process');
  assert.ok(at >= 0, 'docs/hosts.md has no "In an Electron main process" section');
  const m = /```js\n([\s\S]*?)```/.exec(doc.slice(at));
  assert.ok(m, 'no js block in the Electron section');
  return m[1];
}

/** An app folder: main.mjs, node_modules/{electron,tether-host}, resources/bin/{tether,api}. */
function makeApp(t, { withTether = true } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'electron-app-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'main.mjs'), snippet());
  const electron = path.join(dir, 'node_modules', 'electron');
  mkdirSync(electron, { recursive: true });
  copyFileSync(fileURLToPath(new URL('./fixtures/electron/index.cjs', import.meta.url)), path.join(electron, 'index.js'));
  writeFileSync(path.join(electron, 'package.json'), '{"name":"electron","main":"index.js"}');
  symlinkSync(clientDir, path.join(dir, 'node_modules', 'tether-host'), 'dir');
  const bin = path.join(dir, 'resources', 'bin');
  mkdirSync(bin, { recursive: true });
  if (withTether) copyFileSync(tetherBin(), path.join(bin, 'tether'));
  writeFileSync(path.join(bin, 'api'), `#!/bin/sh\nexec "${process.execPath}" "${api}" "$@"\n`);
  chmodSync(path.join(bin, 'api'), 0o755);
  return dir;
}

/** Runs the app; returns helpers to await its reports and its exit. */
function runApp(t, dir) {
  const tag = newTag(t.name);
  const child = spawn(process.execPath, [path.join(dir, 'main.mjs')], {
    cwd: dir, stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, STUB_RESOURCES: path.join(dir, 'resources'), SDK_TEST_TAG: tag },
  });
  const lines = [];
  let wake = () => {};
  readline.createInterface({ input: child.stdout }).on('line', (l) => { lines.push(l); wake(); });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    child.kill('SIGKILL');
    await exited;
    await noLeftovers(tag);
  });
  const reports = () => lines.filter((l) => l.startsWith('STUB ')).map((l) => JSON.parse(l.slice(5)));
  return {
    child, tag, exited, lines, reports,
    stderr: () => stderr,
    async until(what, pred, ms = 20000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const r = reports().find(pred);
        if (r) return r;
        assert.ok(Date.now() < deadline, `no ${what} within ${ms} ms; output:\n${lines.join('\n')}\nstderr:\n${stderr}`);
        await Promise.race([new Promise((r2) => { wake = r2; }), sleep(100)]);
      }
    },
  };
}

test('the Electron snippet: ready, then before-quit stops api and tether gracefully', async (t) => {
  const app = runApp(t, makeApp(t));
  const ready = await app.until('api-ready', (r) => r.send === 'api-ready');
  const port = ready.args[0];
  assert.ok(port > 0);
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/health`)).text(), 'ok\n');
  app.child.stdin.write('invoke api-status\n');
  const status = await app.until('api-status', (r) => r.invoked === 'api-status');
  assert.equal(status.result.port, port);
  assert.equal(status.result.ready, true);

  const began = Date.now();
  app.child.stdin.write('quit\n');
  const exit = await app.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, app.stderr());
  assert.ok(Date.now() - began < 7000);
  assert.deepEqual(app.reports().filter((r) => r.beforeQuit).map((r) => r.beforeQuit), ['prevented', 'quitting']);
  assert.ok(app.lines.includes('[api] graceful stop'), app.lines.join('\n'));
  assert.ok(!app.reports().some((r) => r.send === 'api-failed'));
  await noLeftovers(app.tag);
});

test('the Electron snippet: tether killed by a signal is gone, and the app still quits at once', async (t) => {
  const app = runApp(t, makeApp(t));
  await app.until('api-ready', (r) => r.send === 'api-ready');
  const tetherPid = tagged(app.tag).find((pid) => {
    try { return path.basename(readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0]) === 'tether'; } catch { return false; }
  });
  assert.ok(tetherPid, 'tether not found');
  process.kill(tetherPid, 'SIGKILL');
  const failed = await app.until('api-failed', (r) => r.send === 'api-failed');
  assert.match(failed.args[0], /SIGKILL/);
  const began = Date.now();
  app.child.stdin.write('quit\n');
  assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
  assert.ok(Date.now() - began < 3000);
  assert.deepEqual(app.reports().filter((r) => r.beforeQuit).map((r) => r.beforeQuit), ['quitting']);
});

test('the Electron snippet: no tether shipped is reported, not a crash', async (t) => {
  const app = runApp(t, makeApp(t, { withTether: false }));
  const failed = await app.until('api-failed', (r) => r.send === 'api-failed');
  assert.match(failed.args[0], /no tether executable found/);
  app.child.stdin.write('quit\n');
  assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
});
