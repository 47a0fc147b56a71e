/** What tether tells a sidecar through its environment. */
export interface TetherEnv {
  /** This attempt's port (TETHER_PORT), null when tether chose none. */
  port: number | null;
  /** The supervising tether process (TETHER_PID), null when not run by tether. */
  tetherPid: number | null;
  /** The stop request (TETHER_STOP_REQUEST): "stdin-close" and "stdin:TEXT" are watched by the stop hook; other actions reach the sidecar by its own means. */
  stopRequest: string;
  /** Where notify messages go (NOTIFY_SOCKET): a unix datagram socket, or a Windows named pipe. */
  notifySocket: string;
  /** tether's watchdog period in milliseconds (WATCHDOG_USEC / 1000), 0 when none. */
  watchdogMs: number;
}

/** Reads what tether tells the sidecar; throws a TypeError naming a malformed variable. */
export function readEnv(environ?: Record<string, string | undefined>): TetherEnv;
/** The port tether chose for this attempt (TETHER_PORT), or null. */
export function port(): number | null;
/** Sends one sd_notify-style message; resolves at once without NOTIFY_SOCKET. */
export function notify(message: string, env?: TetherEnv): Promise<void>;
/** Tells tether the sidecar is ready (READY=1), for --ready notify. */
export function ready(env?: TetherEnv): Promise<void>;
/** Feeds tether's watchdog once (WATCHDOG=1). */
export function ping(env?: TetherEnv): Promise<void>;

export interface Watchdog {
  /** Stops the pings. */
  stop(): void;
}
/**
 * Pings every half WATCHDOG_USEC from the event loop (a blocked loop sends
 * none); null when tether runs no watchdog.
 */
export function watchdog(options?: { alive?: () => boolean; env?: TetherEnv }): Watchdog | null;

/**
 * Why the sidecar is asked to stop: "signal TERM", "signal INT",
 * "signal BREAK", "stdin closed", 'stdin line "TEXT"' or "tether is gone".
 */
export type StopReason = string;
/** Calls fn once when the sidecar should stop. */
export function onStop(fn: (reason: StopReason) => void): void;
/** An AbortSignal aborted, with the reason, when the sidecar should stop. */
export function stopSignal(): AbortSignal;
/** Resolves with the reason once the sidecar should stop. */
export function stopped(): Promise<StopReason>;
