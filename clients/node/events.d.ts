// Generated from schema/events.schema.json by scripts/gen-events.mjs. Do not edit.

/** Fields every event has. One line of tether's NDJSON event stream (stdout of tether run, up and demo with --output json). Every event has time, name and event; the other fields depend on the kind. This schema describes exactly what this version of tether writes. A host must still ignore event kinds and fields it does not know: later versions may add them (events of an unknown kind are valid here). */
export interface EventBase {
  /** When it happened: RFC 3339, UTC, with nine digits of fraction. */
  time: string;
  /** The sidecar's name. Empty for the few events about tether itself rather than one sidecar (an unreadable stdin command when several sidecars run). */
  name: string;
  /** The process id of the attempt's child (null only in a status event, when none runs). */
  pid?: number | null;
  /** 1 for the first spawn, counting up across restarts (0 only in the status of a sidecar not started yet). */
  attempt?: number;
}

/** The child process started. */
export interface SpawnedEvent extends EventBase {
  event: "spawned";
  /** The attempt's port (--port). */
  port?: number;
  /** How the attempt's tree is held (an addition to the contract's fields): cgroup, subreaper or group on unix, job-object on Windows, then, when limits are enforced through cgroup v1 (a hybrid or legacy layout), +v1: and those controllers (cgroup+v1:memory,pids), followed by +watcher when a watcher process empties it should tether be killed, or by +no-watcher when none does (an error event follows that says why and what would fix it). See docs/containment.md. */
  containment?: string;
  /** The process id of the attempt's child (null only in a status event, when none runs). */
  pid: number;
  /** 1 for the first spawn, counting up across restarts (0 only in the status of a sidecar not started yet). */
  attempt: number;
}

/** One line of the child's output, newline stripped. Concatenating, per pid and stream, each chunk's bytes plus a newline unless partial reproduces exactly what the child wrote. */
export interface OutputEvent extends EventBase {
  event: "stdout" | "stderr";
  /** The chunk, when it is valid UTF-8. */
  line?: string;
  /** The chunk's bytes in standard base64, when they are not valid UTF-8. */
  data?: string;
  /** Present (true) when the chunk did not end in a newline: a line longer than 1 MiB, or the last bytes before the stream closed. */
  partial?: true;
  /** The process id of the attempt's child (null only in a status event, when none runs). */
  pid: number;
  /** 1 for the first spawn, counting up across restarts (0 only in the status of a sidecar not started yet). */
  attempt: number;
}

/** The readiness probe passed (at once after spawned when there is none). */
export interface ReadyEvent extends EventBase {
  event: "ready";
  /** Milliseconds from spawn to ready. */
  after_ms: number;
  /** The process id of the attempt's child (null only in a status event, when none runs). */
  pid: number;
  /** 1 for the first spawn, counting up across restarts (0 only in the status of a sidecar not started yet). */
  attempt: number;
}

/** Liveness failed live_failures times in a row; the tree is stopped and restarted. */
export interface UnhealthyEvent extends EventBase {
  event: "unhealthy";
  failures: number;
  /** What went wrong, in one line. */
  error: string;
  /** The process id of the attempt's child (null only in a status event, when none runs). */
  pid: number;
  /** 1 for the first spawn, counting up across restarts (0 only in the status of a sidecar not started yet). */
  attempt: number;
}

/** The child was reaped; all its output events came before. */
export interface ExitedEvent extends EventBase {
  event: "exited";
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  /** The name of the signal that killed it (KILL, TERM), or null. */
  signal: string | null;
  uptime_ms: number;
  /** True when tether stopped it: a stop or restart request, a missed ready deadline, failed liveness. */
  expected: boolean;
  /** Present exactly when expected is false: what the attempt printed last, often why it died. */
  tail?: string[];
  /** Present, and true, when the tree was killed for passing its memory limit (--memory-max), by the kernel's account (memory.events oom_kill on Linux; on Windows the job's memory use reached its limit). */
  oom?: true;
  /** The process id of the attempt's child (null only in a status event, when none runs). */
  pid: number;
  /** 1 for the first spawn, counting up across restarts (0 only in the status of a sidecar not started yet). */
  attempt: number;
}

/** A restart is scheduled. */
export interface RestartingEvent extends EventBase {
  event: "restarting";
  /** The next attempt. */
  attempt: number;
  delay_ms: number;
}

/** Supervision ended: the restart limit was hit, or the command cannot be started. */
export interface GaveUpEvent extends EventBase {
  event: "gave_up";
  restarts: number;
  /** What went wrong, in one line. */
  error: string;
  /** The last attempt's last output (empty when none ran). */
  tail: string[];
}

/** An orderly stop of the sidecar began. */
export interface StoppingEvent extends EventBase {
  event: "stopping";
  /** signal: tether got SIGTERM, SIGINT or SIGHUP; stdin: stdin ended under --lifeline stdin; parent: tether's parent died (or its stdout broke); command: a stop command on stdin. */
  reason: "signal" | "stdin" | "parent" | "command";
}

/** The last event of a sidecar's supervision (with tether up, a start command may begin a new one). */
export interface StoppedEvent extends EventBase {
  event: "stopped";
  /** tether's own exit status for this sidecar. */
  code: number;
}

/** Anything else worth a host's attention: a probe or pipe error, a stdin line that is not a command. */
export interface ErrorEvent extends EventBase {
  event: "error";
  /** What went wrong, in one line. */
  error: string;
}

/** The answer to a status command on stdin, one per sidecar asked about. It agrees with the sidecar's events before it on the stream. */
export interface StatusEvent extends EventBase {
  event: "status";
  state: "stopped" | "starting" | "running" | "backoff" | "stopping" | "exited" | "failed";
  /** True from the current attempt's ready event until it exits or is found unhealthy. */
  ready: boolean;
  /** The current attempt's process id, or null when none runs. */
  pid: number | null;
  /** The current attempt's port, or null when none runs or it has none. */
  port: number | null;
  /** The current (or last) attempt; 0 before the first. */
  attempt: number;
  /** Restarts so far. */
  restarts: number;
  /** When state began (for a sidecar not started yet: when tether began). RFC 3339, UTC. */
  since: string;
}

/** The sidecar's state changed (an addition to the contract's kinds). */
export interface StateEvent extends EventBase {
  event: "state";
  state: "stopped" | "starting" | "running" | "backoff" | "stopping" | "exited" | "failed";
  from: "stopped" | "starting" | "running" | "backoff" | "stopping" | "exited" | "failed";
}

/** Every event kind this version of tether writes. A host must still ignore kinds it does not know. */
export type TetherEvent =
  | SpawnedEvent
  | OutputEvent
  | ReadyEvent
  | UnhealthyEvent
  | ExitedEvent
  | RestartingEvent
  | GaveUpEvent
  | StoppingEvent
  | StoppedEvent
  | ErrorEvent
  | StatusEvent
  | StateEvent;
