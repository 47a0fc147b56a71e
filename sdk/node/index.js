// tether-sidecar: the sidecar's side of tether for Node. No dependencies.
//
// tether tells a sidecar what it needs in the environment (TETHER_PORT,
// TETHER_PID, TETHER_STOP_REQUEST, NOTIFY_SOCKET, WATCHDOG_USEC). A program
// not run by tether sees none of them, and every function here is then a
// no-op or returns the natural default: ready() resolves at once, port() is
// null, the stop hook still fires on Ctrl-C and SIGTERM, watchdog() is null.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

const MAX_MESSAGE = 4096; // tether, like systemd, ignores longer messages
const POLL_MS = 200; // how often tether's pid is checked
const MAX_LINE = 64 * 1024; // longer stdin lines never match a stop text
const PIPE_BUSY_WAIT_MS = 2000; // Windows: waiting for a free pipe instance

function number(environ, name, max) {
  const text = environ[name];
  if (text === undefined || text === '') return null;
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max)) {
    throw new TypeError(`${name}=${JSON.stringify(text)} is not a whole number from 1 to ${max}`);
  }
  return n;
}

/**
 * Reads what tether tells the sidecar. Throws a TypeError naming the
 * variable when one holds a value tether never sets.
 */
export function readEnv(environ = process.env) {
  const stopRequest = environ.TETHER_STOP_REQUEST ?? '';
  const usec = number(environ, 'WATCHDOG_USEC', 2 ** 52);
  return {
    port: number(environ, 'TETHER_PORT', 65535),
    tetherPid: number(environ, 'TETHER_PID', 2 ** 31 - 1),
    stopRequest,
    notifySocket: environ.NOTIFY_SOCKET ?? '',
    watchdogMs: usec === null ? 0 : usec / 1000,
  };
}

/** The port tether chose for this attempt (TETHER_PORT), or null. */
export function port() {
  return readEnv().port;
}

// ---- notify -------------------------------------------------------------

// Node has no unix datagram sockets. On unix a small perl program (present
// on Linux distributions' base systems and on macOS) sends each message as
// one datagram; it is started on first use and lives as long as we do.
const PERL_SENDER = String.raw`
use Socket;
my $path = shift; $path =~ s/^@/\0/;
socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
my $addr = pack_sockaddr_un($path);
$/ = "\0"; $| = 1;
while (my $m = <STDIN>) { chomp $m; print defined(send($s, $m, 0, $addr)) ? "ok\n" : "error $!\n"; }
`;

const senders = new Map(); // socket path -> { child, pending: [{resolve, reject}], buf }

function datagramSender(path) {
  let s = senders.get(path);
  if (s) return s;
  const child = spawn('perl', ['-e', PERL_SENDER, path], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  s = { child, pending: [], out: '', err: '' };
  senders.set(path, s);
  const failAll = (error) => {
    senders.delete(path);
    for (const p of s.pending.splice(0)) p.reject(error);
  };
  child.on('error', (e) => failAll(new Error(`tether-sidecar: sending to ${path} needs perl on PATH (Node has no unix datagram sockets): ${e.message}`)));
  child.on('exit', () => failAll(new Error(`tether-sidecar: notify ${path}: ${s.err.trim() || 'the sender exited'}`)));
  child.stdin.on('error', () => {}); // reported through 'exit'
  child.stderr.on('data', (d) => { s.err = (s.err + d).slice(-1000); });
  child.stdout.on('data', (d) => {
    s.out += d;
    let i;
    while ((i = s.out.indexOf('\n')) >= 0) {
      const line = s.out.slice(0, i);
      s.out = s.out.slice(i + 1);
      const p = s.pending.shift();
      if (p && line === 'ok') p.resolve();
      else if (p) p.reject(new Error(`tether-sidecar: notify ${path}: ${line.replace(/^error /, '')}`));
    }
    if (s.pending.length === 0) idle(s);
  });
  idle(s);
  return s;
}

// idle lets the process exit while no message is in flight.
function idle(s) {
  s.child.unref();
  for (const st of [s.child.stdin, s.child.stdout, s.child.stderr]) st.unref?.();
}

function busy(s) {
  s.child.ref();
  for (const st of [s.child.stdin, s.child.stdout, s.child.stderr]) st.ref?.();
}

function sendDatagram(path, msg) {
  const s = datagramSender(path);
  return new Promise((resolve, reject) => {
    s.pending.push({ resolve, reject });
    busy(s);
    s.child.stdin.write(msg + '\0');
  });
}

async function sendPipe(path, msg) {
  const deadline = Date.now() + PIPE_BUSY_WAIT_MS;
  for (;;) {
    let fh;
    try {
      fh = await open(path, 'w');
    } catch (e) {
      // ERROR_PIPE_BUSY: tether accepts one connection after another.
      if (e.code === 'EBUSY' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      throw new Error(`tether-sidecar: notify ${path}: ${e.message}`, { cause: e });
    }
    try {
      await fh.write(msg);
    } finally {
      await fh.close();
    }
    return;
  }
}

/**
 * Sends one sd_notify-style message (newline-separated KEY=VALUE lines).
 * Resolves at once without NOTIFY_SOCKET; rejects when it cannot be sent.
 */
export async function notify(message, env = readEnv()) {
  if (!env.notifySocket) return;
  if (message.includes('\0') || Buffer.byteLength(message) > MAX_MESSAGE) {
    throw new RangeError(`tether-sidecar: a notify message is at most ${MAX_MESSAGE} bytes, without NUL`);
  }
  if (process.platform === 'win32') return sendPipe(env.notifySocket, message);
  return sendDatagram(env.notifySocket, message);
}

/** Tells tether the sidecar is ready (READY=1), for --ready notify. */
export function ready(env = readEnv()) {
  return notify('READY=1', env);
}

/** Feeds tether's watchdog once (WATCHDOG=1). */
export function ping(env = readEnv()) {
  return notify('WATCHDOG=1', env);
}

/**
 * Feeds tether's watchdog every half WATCHDOG_USEC from a timer on the event
 * loop: while the loop is blocked no ping goes out, and tether restarts the
 * sidecar after one period. The timer does not keep the process alive.
 * Returns a handle with stop(), or null when tether runs no watchdog.
 * With `alive`, a ping is sent only while alive() returns true.
 */
export function watchdog({ alive, env = readEnv() } = {}) {
  if (!env.watchdogMs) return null;
  const tick = () => {
    if (alive && !alive()) return;
    ping(env).catch(() => {}); // a lost ping is what the watchdog is there to notice
  };
  tick();
  const timer = setInterval(tick, env.watchdogMs / 2);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

// ---- the stop hook --------------------------------------------------------

const STOP_SIGNALS = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];

function createStopper(env) {
  const controller = new AbortController();
  const callbacks = [];
  const cleanups = [];
  let reason = null;
  const fire = (why) => {
    if (reason !== null) return;
    reason = why;
    for (const undo of cleanups.splice(0)) undo();
    controller.abort(why);
    for (const fn of callbacks.splice(0)) fn(why);
  };
  for (const sig of STOP_SIGNALS) {
    const handler = () => fire(`signal ${sig.slice(3)}`);
    process.on(sig, handler);
    // Once fired, a second signal does what it would have done without us.
    cleanups.push(() => process.removeListener(sig, handler));
  }
  if (env.stopRequest === 'stdin-close' || env.stopRequest.startsWith('stdin:')) watchStdin(env.stopRequest, fire, cleanups);
  if (env.tetherPid) watchTether(env.tetherPid, fire, cleanups);
  return {
    signal: controller.signal,
    get reason() { return reason; },
    onStop(fn) {
      if (reason !== null) queueMicrotask(() => fn(reason));
      else callbacks.push(fn);
    },
    fire,
  };
}

function watchStdin(request, fire, cleanups) {
  const stdin = process.stdin;
  const text = request.startsWith('stdin:') ? Buffer.from(request.slice('stdin:'.length)) : null;
  let line = [];
  let lineLength = 0;
  let tooLong = false;
  const onData = (chunk) => {
    if (!text) return;
    let start = 0;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, start)) {
      add(chunk.subarray(start, i));
      let whole = Buffer.concat(line);
      if (whole.at(-1) === 13) whole = whole.subarray(0, -1);
      if (!tooLong && whole.equals(text)) {
        fire(`stdin line ${JSON.stringify(text.toString())}`);
        return;
      }
      line = []; lineLength = 0; tooLong = false;
      start = i + 1;
    }
    add(chunk.subarray(start));
  };
  const add = (part) => {
    lineLength += part.length;
    if (lineLength > MAX_LINE + 1) { tooLong = true; line = []; } else line.push(part);
  };
  const onEnd = () => fire('stdin closed');
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.on('error', onEnd);
  stdin.unref?.(); // our reading alone does not keep the process alive
  cleanups.push(() => {
    stdin.removeListener('data', onData);
    stdin.removeListener('end', onEnd);
    stdin.pause();
  });
}

// parentPid reads the live parent pid on Linux (process.ppid is fixed at
// start), or null elsewhere.
function parentPid() {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function watchTether(pid, fire, cleanups) {
  // When tether is the parent (Linux), its death re-parents us; otherwise
  // (a wrapper in between, or another OS) its pid stops existing.
  const direct = parentPid() === pid;
  const timer = setInterval(() => {
    if (direct ? parentPid() !== pid : !alive(pid)) fire('tether is gone');
  }, POLL_MS);
  timer.unref();
  cleanups.push(() => clearInterval(timer));
}

let processStopper = null;

function stopper() {
  processStopper ??= createStopper(readEnv());
  return processStopper;
}

/**
 * Calls fn(reason) once when the sidecar should stop: SIGTERM, SIGINT,
 * SIGBREAK (Windows' CTRL_BREAK), with TETHER_STOP_REQUEST stdin-close the
 * end of stdin, with stdin:TEXT the line TEXT (or stdin's end), or tether's
 * death (TETHER_PID). The first call installs the signal handlers and
 * watches; with a stdin stop request the SDK reads stdin itself.
 */
export function onStop(fn) {
  stopper().onStop(fn);
}

/** An AbortSignal aborted (reason: why) when the sidecar should stop. */
export function stopSignal() {
  return stopper().signal;
}

/** Resolves with the reason once the sidecar should stop. */
export function stopped() {
  return new Promise((resolve) => stopper().onStop(resolve));
}
