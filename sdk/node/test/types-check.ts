// Compiled (not run) by sdk/test.sh with tsc --strict.
import { port, ready, notify, ping, watchdog, onStop, stopSignal, stopped, readEnv, type TetherEnv } from 'tether-sidecar';

const env: TetherEnv = readEnv();
const p: number | null = port();
void p;
async function main(): Promise<void> {
  await ready();
  await notify('STATUS=ok', env);
  await ping();
  const w = watchdog({ alive: () => true });
  w?.stop();
  onStop((reason: string) => void reason);
  const s: AbortSignal = stopSignal();
  void s;
  const why: string = await stopped();
  void why;
}
void main;
