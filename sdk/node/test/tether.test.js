// tether-sidecar under the real tether binary: ready reported over notify,
// the stop hook on each kind of stop, the watchdog restarting a blocked
// event loop, and the sidecar gone when tether dies.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { Tether, newTag, noLeftovers } from './harness.js';

const sidecar = fileURLToPath(new URL('./fixtures/sidecar.mjs', import.meta.url));
const middle = fileURLToPath(new URL('./fixtures/middle.mjs', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const stops = [
  ['stop command (TERM)', [], (t) => t.send({ cmd: 'stop' }), 'signal TERM'],
  ['SIGTERM to tether', [], (t) => t.proc.kill('SIGTERM'), 'signal TERM'],
  ['stop signal INT', ['--stop-signal', 'INT'], (t) => t.send({ cmd: 'stop' }), 'signal INT'],
  ['stop request stdin-close', ['--stop-request', 'stdin-close'], (t) => t.send({ cmd: 'stop' }), 'stdin closed'],
  ['stop request stdin:quit', ['--stop-request', 'stdin:quit'], (t) => t.send({ cmd: 'stop' }), 'stdin line "quit"'],
];

for (const [name, args, stop, reason] of stops) {
  test(`ready, then a graceful stop on: ${name}`, async () => {
    const t = new Tether(['--ready', 'notify', '--port', 'auto', '--lifeline', 'stdin', ...args], [process.execPath, sidecar]);
    try {
      const spawned = await t.kind('spawned');
      const hello = await t.line('port=');
      assert.match(hello.line, new RegExp(`port=${spawned.port}$`));
      await t.kind('ready');
      const res = await fetch(`http://127.0.0.1:${spawned.port}/health`);
      assert.equal(await res.text(), 'ok\n');
      stop(t);
      await t.line(`graceful stop: ${reason}`, 15000);
      const exited = await t.kind('exited', undefined, 15000);
      assert.equal(exited.code, 0);
      assert.equal(exited.expected, true);
      assert.deepEqual(await t.exited, { code: 0, signal: null });
    } finally {
      await t.close();
    }
  });
}

test('the watchdog restarts a sidecar whose event loop is blocked for 5 s', async () => {
  const t = new Tether(['--ready', 'notify', '--watchdog', '2s', '--port', 'auto', '--backoff-initial', '100ms'],
    [process.execPath, sidecar]);
  try {
    const first = await t.kind('spawned', 1);
    await t.kind('ready', 1);
    const start = Date.now();
    fetch(`http://127.0.0.1:${first.port}/block`).catch(() => {});
    await t.await('unhealthy (watchdog)', (e) => e.event === 'unhealthy' && e.attempt === 1 && /watchdog/.test(e.error));
    assert.ok(Date.now() - start < 4500, `the watchdog acted after ${Date.now() - start} ms`);
    await t.kind('exited', 1);
    await t.kind('ready', 2);
    await sleep(5000); // attempt 2 keeps pinging: no restart
    t.send({ cmd: 'stop' });
    await t.line('graceful stop: signal TERM', 15000);
    assert.equal((await t.exited).code, 0);
    assert.deepEqual(t.events.filter((e) => e.attempt > 2), []);
  } finally {
    await t.close();
  }
});

test('a SIGKILLed tether leaves no sidecar behind', async () => {
  const t = new Tether(['--ready', 'notify'], [process.execPath, sidecar]);
  try {
    const pid = Number(/pid=(\d+)/.exec((await t.line('pid=')).line)[1]);
    await t.kind('ready');
    t.proc.kill('SIGKILL');
    await t.exited;
    const deadline = Date.now() + 10000;
    for (;;) {
      let state = 'gone';
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        state = stat[stat.lastIndexOf(')') + 2];
      } catch { /* gone */ }
      if (state === 'gone' || state === 'Z') break;
      assert.ok(Date.now() < deadline, 'the sidecar outlived a SIGKILLed tether by 10 s');
      await sleep(50);
    }
  } finally {
    await t.close();
  }
});

for (const indirect of ['', '1']) {
  test(`the stop hook fires when tether dies (${indirect ? 'through a shell' : 'direct child'})`, async () => {
    // A stand-in for tether starts the sidecar and exits: no watcher kills
    // the sidecar, only the SDK's watch on TETHER_PID stops it.
    const dir = mkdtempSync(path.join(tmpdir(), 'sdk-parent-'));
    const tag = newTag('parent');
    try {
      // A port of its own, as tether would give: the sidecar's own default
      // (8000) may be taken by a suite running alongside.
      const port = await freePort();
      const r = spawnSync(process.execPath, [middle, process.execPath, sidecar], {
        env: { ...process.env, SDK_TEST_TAG: tag, SIDECAR_TEST_DIR: dir, SIDECAR_TEST_INDIRECT: indirect, TETHER_PORT: String(port) },
        stdio: 'ignore', timeout: 30000,
      });
      assert.equal(r.status, 0);
      const deadline = Date.now() + 10000;
      for (;;) {
        const f = readdirSync(dir).find((n) => n.startsWith('stopped-'));
        const text = f ? readFileSync(path.join(dir, f), 'utf8') : '';
        if (text) {
          assert.equal(text, 'tether is gone');
          break;
        }
        assert.ok(Date.now() < deadline, 'no stop within 10 s of tether\'s death');
        await sleep(50);
      }
      await noLeftovers(tag);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
