// An Electron or Node host running tether as its one sidecar.
//
//   node supervise.mjs /path/to/tether
//
// It starts `tether run` on server.mjs (an HTTP server on a free port) with
// --lifeline stdin, reads tether's NDJSON events, waits for `ready`, kills
// the server with a stdin command to show a crash, watches tether restart
// it (exited, restarting, a new ready), then closes tether's stdin: tether
// stops everything and exits 0. It prints what it saw and exits 0 when all
// of that happened in order, 1 otherwise.
//
// In an Electron app, run the same code in the main process; resolve the
// tether binary you ship (e.g. path.join(process.resourcesPath, 'tether'))
// and keep the `tether` ChildProcess for the app's lifetime. Because of
// --lifeline stdin, even a force-quit app leaves nothing running: its end of
// the pipe closes, and tether stops the sidecar.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const tetherPath = process.argv[2];
if (!tetherPath) {
  console.error('usage: node supervise.mjs /path/to/tether');
  process.exit(2);
}
const server = fileURLToPath(new URL('./server.mjs', import.meta.url));

const tether = spawn(tetherPath, [
  'run',
  '--name', 'server',
  '--lifeline', 'stdin',          // our stdin pipe closing means "stop everything"
  '--output', 'json',
  '--port', 'auto',                // a free port per attempt, passed as {port}
  '--ready', 'http://127.0.0.1:{port}/health',
  '--backoff-initial', '100ms',
  '--', process.execPath, server, '{port}',
], { stdio: ['pipe', 'pipe', 'inherit'] });

// send writes one command to tether's stdin, as one line of JSON.
const send = (cmd) => tether.stdin.write(JSON.stringify(cmd) + '\n');

const expected = ['ready 1', 'exited 1 KILL', 'restarting 2', 'ready 2', 'stopping stdin', 'exited 2 0', 'stopped 0'];
const seen = [];
let port = 0;

const rl = readline.createInterface({ input: tether.stdout, crlfDelay: Infinity });
rl.on('line', (line) => {
  const ev = JSON.parse(line);      // one event per line, always whole
  switch (ev.event) {
    case 'spawned':
      port = ev.port;
      break;
    case 'stdout':
    case 'stderr':
      // ev.line is the text; ev.data (base64) when it is not UTF-8.
      console.log(`[${ev.name}] ${ev.line ?? Buffer.from(ev.data, 'base64').toString('latin1')}`);
      break;
    case 'ready':
      seen.push(`ready ${ev.attempt}`);
      console.log(`ready: attempt ${ev.attempt}, port ${port}, after ${ev.after_ms} ms`);
      if (ev.attempt === 1) {
        send({ cmd: 'signal', signal: 'KILL' });   // simulate a crash
      } else {
        tether.stdin.end();                         // we are done: cut the lifeline
      }
      break;
    case 'exited':
      seen.push(`exited ${ev.attempt} ${ev.signal ?? ev.code}`);
      console.log(`exited: code ${ev.code}, signal ${ev.signal}, expected ${ev.expected}`);
      break;
    case 'restarting':
      seen.push(`restarting ${ev.attempt}`);
      console.log(`restarting in ${ev.delay_ms} ms`);
      break;
    case 'stopping':
      seen.push(`stopping ${ev.reason}`);
      break;
    case 'stopped':
      seen.push(`stopped ${ev.code}`);
      break;
    case 'error':
      console.log(`tether error: ${ev.error}`);
      break;
    default:
      // state changes and kinds added later: ignore what we do not know.
  }
});

const timer = setTimeout(() => {
  console.error('timed out; saw:', seen.join(', '));
  tether.kill('SIGKILL');
  process.exit(1);
}, 60000); // generous: two Node starts on a busy machine can take seconds each

tether.on('exit', (code, signal) => {
  clearTimeout(timer);
  const ok = code === 0 && JSON.stringify(seen) === JSON.stringify(expected);
  console.log(JSON.stringify({ ok, tetherExit: code, signal, seen }));
  process.exit(ok ? 0 : 1);
});
