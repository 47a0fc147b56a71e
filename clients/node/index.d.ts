import { EventEmitter } from 'node:events';
import type { TetherEvent, StatusEvent, GaveUpEvent } from './events.js';

export * from './events.js';

/** How to run tether and its one sidecar. */
export interface TetherOptions {
  /** The sidecar's command: a program name, a path, or with `bundled` a NAME beside tether. */
  command: string;
  /** Its arguments; `{port}` is replaced by the attempt's port. */
  args?: string[];
  /** The sidecar's name in events (`--name`); default: the command's base name. */
  name?: string;
  /** `--port`: "auto" for a fresh free port per attempt, or a number. */
  port?: 'auto' | number;
  /** `--ready`: a probe such as "http://127.0.0.1:{port}/health", "tcp://127.0.0.1:{port}" or "notify". */
  ready?: string;
  /** `--bundled`: find the sidecar beside the tether executable (NAME-<triple> or NAME). */
  bundled?: boolean;
  /** More flags for `tether run`, before `--` (e.g. ["--watchdog", "2s", "--grace", "3s"]). */
  tetherArgs?: string[];
  /** The tether executable; default: findTether(findOptions). */
  tetherPath?: string;
  /** Where findTether looks when tetherPath is not given. */
  findOptions?: FindOptions;
  /** tether's working directory. */
  cwd?: string;
  /** Variables added to the environment tether (and the sidecar) inherit. */
  env?: Record<string, string>;
}

export interface FindOptions {
  /** Folders to look in; default: Electron's resources/bin and resources, then the executable's folder (and a macOS .app's Helpers and Resources). */
  dirs?: string[];
  /** The base name; default "tether". */
  name?: string;
}

/** How tether ended. */
export interface TetherExit {
  /** tether's exit status (0 after an orderly stop), or null when killed by a signal or never started. */
  code: number | null;
  /** The signal that killed tether ("SIGKILL"...), or null. */
  signal: NodeJS.Signals | null;
  /** Why tether could not be started (not found, not executable), or null. */
  error: Error | null;
}

/** The sidecar, once ready. */
export interface ReadyInfo {
  /** The attempt's port (null without --port). */
  port: number | null;
  pid: number;
  attempt: number;
}

/** The sidecar or tether cannot be used: it gave up, tether is gone, or a wait timed out. */
export class TetherError extends Error {
  /** The gave_up event, when the sidecar gave up. */
  event?: GaveUpEvent;
  /** How tether ended, when it is gone. */
  exit?: TetherExit;
}

export interface TetherEvents {
  event: [ev: TetherEvent];
  stderr: [line: string];
  exit: [exit: TetherExit];
}

/**
 * tether running one sidecar, spawned at once with `--lifeline stdin
 * --output json`. Never emits 'error'.
 */
export class Tether extends EventEmitter {
  constructor(options: TetherOptions);
  readonly options: TetherOptions;
  /** The tether executable used. */
  readonly path: string | undefined;
  /** tether's pid (undefined when it did not start). */
  readonly pid: number | undefined;
  /** True once tether is gone (exited, killed by a signal, or never started). */
  readonly exited: boolean;
  /** What the events said last: pid, port and attempt of the current attempt, whether it is ready, its state. */
  readonly current: { pid: number | null; port: number | null; attempt: number; ready: boolean; state: string };

  on<K extends keyof TetherEvents>(event: K, listener: (...args: TetherEvents[K]) => void): this;
  once<K extends keyof TetherEvents>(event: K, listener: (...args: TetherEvents[K]) => void): this;
  off<K extends keyof TetherEvents>(event: K, listener: (...args: TetherEvents[K]) => void): this;

  /** Resolves when the sidecar is ready (at once if it is); rejects with a TetherError if it gives up, tether is gone, or after timeoutMs. */
  ready(options?: { timeoutMs?: number }): Promise<ReadyInfo>;
  /** Asks tether; resolves with its `status` event. */
  status(options?: { timeoutMs?: number }): Promise<StatusEvent>;
  /** Restarts the sidecar. */
  restart(): Promise<void>;
  /** Writes data, as it is, to the sidecar's stdin. */
  write(data: string): Promise<void>;
  /** Sends a signal to the sidecar's whole tree. */
  signal(signal: string): Promise<void>;
  /** Sends one command object (see schema/commands.schema.json). */
  send(command: { cmd: string; [field: string]: unknown }): Promise<void>;
  /** Closes tether's stdin and resolves once tether exited; kills it after timeoutMs (default 10000). Never rejects. */
  stop(options?: { timeoutMs?: number }): Promise<TetherExit & { timedOut: boolean }>;
  /** Resolves once tether is gone. */
  wait(): Promise<TetherExit>;
  /** The events from now until tether is gone. */
  [Symbol.asyncIterator](): AsyncIterableIterator<TetherEvent>;
}

/** Finds the tether executable beside the app; throws an Error listing every path tried. */
export function findTether(options?: FindOptions): string;
/** The Rust-style target triple (Tauri's naming) of a platform, or null. */
export function targetTriple(platform?: string, arch?: string): string | null;
/** The arguments of `tether run` for these options. */
export function tetherArgs(options: TetherOptions): string[];
