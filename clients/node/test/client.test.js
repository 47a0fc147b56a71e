// tether-host against the real tether binary.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tether, TetherError, findTether, targetTriple, tetherArgs } from 'tether-host';
import { generate } from '../scripts/gen-events.mjs';
import { tetherBin, newTag, noLeftovers, repo, sleep } from './harness.js';

const api = fileURLToPath(new URL('./fixtures/api.mjs', import.meta.url));

function start(t, opts) {
  const tag = newTag(t.name);
  const tether = new Tether({ tetherPath: tetherBin(), name: 'api', port: 'auto', ready: 'http://127.0.0.1:{port}/health',
    command: process.execPath, args: [api, '{port}'], ...opts, env: { SDK_TEST_TAG: tag, ...opts?.env } });
  t.after(async () => {
    await tether.stop({ timeoutMs: 15000 });
    await noLeftovers(tag);
  });
  return tether;
}

test('events.d.ts is generated from schema/events.schema.json', () => {
  const schema = JSON.parse(readFileSync(path.join(repo, 'schema/events.schema.json'), 'utf8'));
  const committed = readFileSync(fileURLToPath(new URL('../events.d.ts', import.meta.url)), 'utf8');
  assert.equal(committed, generate(schema), 'events.d.ts is stale: run node clients/node/scripts/gen-events.mjs');
  for (const rule of schema.allOf) {
    for (const kind of [rule.if.properties.event.const ?? rule.if.properties.event.enum].flat().filter(Boolean)) {
      assert.match(committed, new RegExp(`event: [^;]*"${kind}"`), `no type for ${kind}`);
    }
  }
});

test('tetherArgs passes --lifeline stdin and the options', () => {
  assert.deepEqual(tetherArgs({ name: 'api', command: 'api', args: ['--port', '{port}'], port: 'auto', ready: 'notify', bundled: true, tetherArgs: ['--watchdog', '2s'] }),
    ['run', '--lifeline', 'stdin', '--output', 'json', '--name', 'api', '--port', 'auto', '--ready', 'notify', '--bundled', '--watchdog', '2s', '--', 'api', '--port', '{port}']);
  assert.throws(() => tetherArgs({}), /command/);
});

test('ready, status, write, restart, stop', async (t) => {
  const tether = start(t);
  const seen = [];
  tether.on('event', (ev) => seen.push(ev));
  const first = await tether.ready({ timeoutMs: 20000 });
  assert.ok(first.port > 0 && first.attempt === 1);
  assert.equal(await (await fetch(`http://127.0.0.1:${first.port}/health`)).text(), 'ok\n');
  const status = await tether.status();
  assert.equal(status.event, 'status');
  assert.equal(status.pid, first.pid);
  assert.equal(status.ready, true);

  await tether.write('hello\n');
  while (!seen.some((e) => e.event === 'stdout' && e.line === 'got: hello')) await sleep(20);

  await tether.restart();
  while (!seen.some((e) => e.event === 'ready' && e.attempt === 2)) await sleep(20);
  const second = await tether.ready();
  assert.equal(second.attempt, 2);
  assert.notEqual(second.port, first.port);

  const exit = await tether.stop();
  assert.deepEqual(exit, { code: 0, signal: null, error: null, timedOut: false });
  assert.equal(seen.at(-1).event, 'stopped');
  assert.ok(seen.some((e) => e.event === 'stdout' && e.line === 'graceful stop'));
  await assert.rejects(tether.ready(), TetherError);
  await assert.rejects(tether.write('x'), /tether exited with status 0/);
});

test('events as an async iterator, with a 6 MiB event line', async (t) => {
  const tether = start(t, { args: [api, '{port}', 'big'] });
  for await (const ev of tether) {
    if (ev.event === 'stdout' && ev.line?.length === 1 << 20) {
      assert.equal(ev.line, '\x01'.repeat(1 << 20));
      break;
    }
  }
  await tether.ready();
});

test('tether killed by a signal is gone: no hang, no unhandled error', async (t) => {
  const tether = start(t);
  await tether.ready({ timeoutMs: 20000 });
  const exitEvent = new Promise((r) => tether.once('exit', r));
  process.kill(tether.pid, 'SIGKILL');
  const exit = await exitEvent;
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.code, null);
  assert.ok(tether.exited);
  const err = await tether.ready().catch((e) => e);
  assert.ok(err instanceof TetherError && err.exit.signal === 'SIGKILL', String(err));
  assert.equal((await tether.stop()).signal, 'SIGKILL');
  const events = [];
  for await (const ev of tether) events.push(ev); // ends at once
  assert.deepEqual(events, []);
});

test('a tether that cannot start, or a sidecar that gives up, rejects ready()', async (t) => {
  const missing = new Tether({ tetherPath: path.join(tmpdir(), 'no-such-tether'), command: 'x' });
  const err = await missing.ready().catch((e) => e);
  assert.ok(err instanceof TetherError, String(err));
  assert.match(err.message, /could not be started/);
  assert.equal((await missing.wait()).error.code, 'ENOENT');

  const unfound = new Tether({ findOptions: { dirs: [path.join(tmpdir(), 'nowhere')] }, command: 'x' });
  assert.match((await unfound.ready().catch((e) => e)).message, /no tether executable found.*\n.*nowhere/s);

  const gaveUp = start(t, { command: 'no-such-sidecar-command', args: [] });
  const e2 = await gaveUp.ready().catch((e) => e);
  assert.ok(e2 instanceof TetherError);
  assert.ok(e2.event?.event === 'gave_up' || e2.exit, String(e2));
  assert.match(e2.message, /no-such-sidecar-command/);
  assert.equal((await gaveUp.wait()).code, 127);
});

test('stop() kills tether after its timeout', async (t) => {
  const tether = start(t, { args: [api, '{port}', 'ignore-term'], tetherArgs: ['--grace', '60s'] });
  await tether.ready({ timeoutMs: 20000 });
  const began = Date.now();
  const exit = await tether.stop({ timeoutMs: 1000 });
  assert.equal(exit.timedOut, true);
  assert.equal(exit.signal, 'SIGKILL');
  assert.ok(Date.now() - began < 8000);
});

test('findTether and bundled: tether and the sidecar beside the app', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tether-bundle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = process.platform === 'win32' ? '.exe' : '';
  assert.throws(() => findTether({ dirs: [dir] }), (e) => e.message.includes(path.join(dir, `tether-${targetTriple()}${exe}`)));
  copyFileSync(tetherBin(), path.join(dir, `tether${exe}`));
  copyFileSync(tetherBin(), path.join(dir, `tether-${targetTriple()}${exe}`));
  assert.equal(findTether({ dirs: [dir] }), path.join(dir, `tether-${targetTriple()}${exe}`));
  // The sidecar "api" beside tether, found by --bundled.
  writeFileSync(path.join(dir, 'api'), `#!/bin/sh\nexec "${process.execPath}" "${api}" "$@"\n`);
  chmodSync(path.join(dir, 'api'), 0o755);
  const tag = newTag('bundled');
  const tether = new Tether({ findOptions: { dirs: [dir] }, command: 'api', args: ['{port}'], bundled: true, port: 'auto',
    ready: 'http://127.0.0.1:{port}/health', env: { SDK_TEST_TAG: tag } });
  t.after(() => tether.stop().then(() => noLeftovers(tag)));
  assert.ok((await tether.ready({ timeoutMs: 20000 })).port > 0);
  assert.equal(tether.path, path.join(dir, `tether-${targetTriple()}${exe}`));
});
