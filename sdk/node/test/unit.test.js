// The SDK on its own: the environment, notify over a unix datagram socket,
// and no-ops when not run by tether.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readEnv, ready, notify, ping, watchdog } from 'tether-sidecar';

test('readEnv reads what tether sets', () => {
  assert.deepEqual(readEnv({ TETHER_PORT: '8080', TETHER_PID: '42', TETHER_STOP_REQUEST: 'stdin:quit', NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '2000000' }),
    { port: 8080, tetherPid: 42, stopRequest: 'stdin:quit', notifySocket: '/run/x', watchdogMs: 2000 });
  assert.equal(readEnv({ TETHER_STOP_REQUEST: 'http://127.0.0.1:1/quit' }).stopRequest, 'http://127.0.0.1:1/quit');
  assert.deepEqual(readEnv({}), { port: null, tetherPid: null, stopRequest: '', notifySocket: '', watchdogMs: 0 });
});

test('readEnv names a malformed variable', () => {
  for (const [k, v] of [['TETHER_PORT', '70000'], ['TETHER_PID', 'x'], ['WATCHDOG_USEC', '-1'], ['TETHER_PORT', '1e3']]) {
    assert.throws(() => readEnv({ [k]: v }), new RegExp(k));
  }
});

test('not run by tether, everything is a no-op', async () => {
  const env = readEnv({});
  await ready(env);
  await ping(env);
  assert.equal(watchdog({ env }), null);
});


test('notify sends datagrams, and says when it cannot', { skip: process.platform === 'win32' && 'unix only' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdk-notify-'));
  try {
    const sock = path.join(dir, 'notify.sock');
    const { spawn } = await import('node:child_process');
    const server = spawn('perl', ['-MSocket', '-e', String.raw`
      $| = 1; socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die; bind($s, pack_sockaddr_un($ARGV[0])) or die "bind: $!";
      print "bound\n"; for (1..3) { my $m; recv($s, $m, 8192, 0); print "[$m]\n"; }`, sock]);
    // Listen for the exit now: the server may end before the last await.
    const exited = new Promise((r) => server.on('close', r));
    let out = '';
    server.stdout.on('data', (d) => { out += d; });
    while (!out.includes('bound')) await new Promise((r) => setTimeout(r, 10));
    const env = readEnv({ NOTIFY_SOCKET: sock, WATCHDOG_USEC: '200000' });
    await ready(env);
    await notify('STATUS=loading\nWATCHDOG=1', env);
    await ping(env);
    await exited;
    assert.equal(out, 'bound\n[READY=1]\n[STATUS=loading\nWATCHDOG=1]\n[WATCHDOG=1]\n');
    await assert.rejects(notify('x'.repeat(5000), env), /at most 4096/);
    await assert.rejects(ready(readEnv({ NOTIFY_SOCKET: path.join(dir, 'none.sock') })), /none\.sock/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
