// Compiled (not run) by sdk/test.sh with tsc --strict: the types let a host
// narrow events by kind and use every method as documented.
import { Tether, TetherError, findTether, type TetherEvent, type ExitedEvent } from 'tether-host';

const api = new Tether({ command: 'api', args: ['--port', '{port}'], bundled: true, port: 'auto', ready: 'notify', tetherPath: findTether() });
api.on('event', (ev: TetherEvent) => {
  switch (ev.event) {
    case 'spawned': { const p: number | undefined = ev.port; void p; break; }
    case 'ready': { const ms: number = ev.after_ms; void ms; break; }
    case 'stdout': case 'stderr': { const l: string | undefined = ev.line; void l; break; }
    case 'exited': { const e: ExitedEvent = ev; const c: number | null = e.code; const s: string | null = e.signal; const x: boolean = e.expected; void c; void s; void x; break; }
    case 'gave_up': { const m: string = ev.error; void m; break; }
    case 'stopped': { const c: number = ev.code; void c; break; }
    default:
  }
});
api.on('exit', ({ code, signal, error }) => { void code; void signal; void error; });
api.on('stderr', (line: string) => void line);

async function main(): Promise<void> {
  try {
    const { port, pid, attempt } = await api.ready({ timeoutMs: 1000 });
    const n: number | null = port; void n; void pid; void attempt;
  } catch (e) {
    if (e instanceof TetherError) void e.exit?.signal;
  }
  const st = await api.status();
  const ready: boolean = st.ready; void ready;
  await api.restart();
  await api.write('x');
  await api.signal('HUP');
  for await (const ev of api) void ev.time;
  const r = await api.stop({ timeoutMs: 10 });
  const t: boolean = r.timedOut; void t;
}
void main;
