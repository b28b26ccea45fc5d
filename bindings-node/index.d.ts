/**
 * Options of `Hivemind.open`. The configuration is the home's `config.json`, then the
 * `HIVEMIND_*` variables, then these options.
 */
export interface OpenOptions {
  /** All state (database, logs, manifests). Default: `$HIVEMIND_HOME`, else `~/.hivemind`. */
  home?: string
  /**
   * The workspace: the scope of everything learned (1–128 characters of
   * `[A-Za-z0-9-_.:@/]`, no `..`). Default: derived from `project`.
   */
  workspace?: string
  /** Never call a model (the local miner writes skills). */
  noLlm?: boolean
  /**
   * The project folder: skills are written to `<project>/.claude/skills`, and the
   * workspace is derived from it when not given. Default: the current directory.
   */
  project?: string
  /** Events `capture` buffers before it hands a batch to the background writer (default 512). */
  batchSize?: number
}

/** Fields every event has: the session it belongs to and the agent host. */
export interface EventBase {
  /** The session id (1–200 characters of `[A-Za-z0-9-_.:@/]`). */
  session: string
  /**
   * The agent host: `claude-code`, `codex`, `cursor`, `openclaw`, `pi`, `hermes`, or any
   * name of 1–64 characters. Default: `"custom"`.
   */
  agent?: string
}

/**
 * An event to capture, discriminated by `kind`. Field names are those of the Rust
 * serde form (`call_id`, `is_error`).
 */
export type HivemindEvent = EventBase &
  (
    | { kind: 'session_start'; source?: string; cwd?: string }
    | { kind: 'session_end'; reason?: string }
    | { kind: 'prompt'; text: string }
    | { kind: 'tool_call'; tool: string; call_id?: string; input: unknown }
    | { kind: 'tool_result'; tool: string; call_id?: string; output: unknown; is_error?: boolean }
    | { kind: 'response'; text: string }
    | { kind: 'interrupt'; reason?: string }
    | { kind: 'file_edited'; path: string; snippet?: string }
  )

/** The name of an event kind. */
export type EventKindName = HivemindEvent['kind']

/** A stored event, as `sessionEvents` returns it. */
export type StoredEvent = HivemindEvent & {
  /** Unique id (UUID). */
  id: string
  workspace: string
  agent: string
  /** Position in the session, from 1. */
  seq: number
  /** When it happened (RFC 3339). */
  at: string
}

/** What was corrected. */
export type Target =
  | { type: 'file'; value: string }
  | { type: 'tool'; value: string }
  | { type: 'response' }

/** The channel a correction was detected on. */
export type CorrectionKind = 'followup' | 'user_edit' | 'modified' | 'rejection' | 'explicit'

/** Input of `recordCorrection`. */
export interface CorrectionInput {
  /** The session it belongs to (default `"api"`). */
  session?: string
  /** What the agent produced. */
  produced: string
  /** What the user accepted instead. */
  accepted?: string
  /** Why, in the user's words. */
  reason?: string
  /** What was corrected (default: the response). */
  target?: Target
}

/** A user's correction of the agent, as structured data. */
export interface Correction {
  id: string
  workspace: string
  session_id: string
  kind: CorrectionKind
  target: Target
  /** What the agent produced. */
  produced: string
  /** What the user accepted instead, when known. */
  accepted: string | null
  /** Unified diff produced → accepted (empty when `accepted` is unknown). */
  diff: string
  /** The user's own words, when there are any. */
  reason: string | null
  /** Detector confidence in 0..1. */
  confidence: number
  /** Ids of the events it was derived from. */
  source_events: string[]
  /** RFC 3339. */
  created_at: string
}

/** Filter of `corrections`. */
export interface CorrectionFilter {
  session?: string
  kind?: CorrectionKind
  /** Only corrections created at or after this instant (RFC 3339, e.g. `date.toISOString()`). */
  since?: string
  /** At most this many (newest last). */
  limit?: number
}

/** Where a skill came from: its lineage. */
export interface Provenance {
  /** Ids of the corrections behind it. */
  corrections: string[]
  /** Sessions those corrections came from. */
  sessions: string[]
  /** Who mined it (`hivemind-local`, a model name, a user). */
  author: string
  created_at: string
  updated_at: string
}

/** A lesson, as stored and as written to `SKILL.md`. */
export interface Skill {
  /** 1–64 characters of `[a-z0-9-]` (= its folder name on disk). */
  name: string
  /** When to use it. */
  description: string
  /** Markdown body. */
  body: string
  /** Starts at 1; +1 on every merge. */
  version: number
  workspace: string
  provenance: Provenance
}

/** What a `skillify` run did. */
export interface SkillifyReport {
  corrections: number
  groups: number
  created: Skill[]
  updated: Skill[]
  unchanged: number
  skipped: number
  /** Nothing new since the last run: mining did not run. */
  up_to_date: boolean
}

/** Request of `contextFor`. */
export interface ContextRequest {
  session: string
  /** The prompt the agent is about to act on. */
  prompt: string
  /** Token budget of the context (default: the configured budget, 2000). */
  budgetTokens?: number
}

/** What `contextFor` selected, and why. */
export interface Selection {
  /** The text to put into the agent's context (empty: nothing to inject). */
  text: string
  /** Skills included in full. */
  full: string[]
  /** Skills listed in the index only. */
  indexed: string[]
  /** Candidate skills with their scores. */
  scores: Array<[string, number]>
}

/** The `code` of every error the binding throws or rejects with. */
export type HivemindErrorCode =
  | 'HIVEMIND_INVALID_INPUT'
  | 'HIVEMIND_STORAGE'
  | 'HIVEMIND_IO'
  | 'HIVEMIND_MODEL'
  | 'HIVEMIND_CLOSED'
  | 'HIVEMIND_PANIC'

/** Errors are plain `Error` objects with a stable `code`; the message holds the cause chain. */
export interface HivemindError extends Error {
  code: HivemindErrorCode
}

/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/**
 * A hivemind handle: capture an agent's events, record the user's corrections, mine them
 * into skills, and get the lessons to put into the agent's context before it acts.
 *
 * Open one with `await Hivemind.open({ home, workspace })`. Several handles may share one
 * home (one SQLite database); each sees what the others flushed.
 */
export declare class Hivemind {
  /**
   * Opens (creating if needed) the database under `options.home` (default:
   * `$HIVEMIND_HOME`, else `~/.hivemind`), with the home's `config.json` and the
   * `HIVEMIND_*` variables applied, then the options. The workspace is `options.workspace`, else derived
   * from `options.project` (default: the current directory): its git `origin`, else
   * its path.
   *
   * Rejects with code `HIVEMIND_INVALID_INPUT` for a bad workspace id or an unknown
   * option, `HIVEMIND_STORAGE` when the database cannot be opened.
   */
  static open(options?: OpenOptions): Promise<Hivemind>
  /** The workspace this handle reads and writes. */
  get workspace(): string
  /** The folder that holds the database, logs and manifests. */
  get home(): string
  /**
   * Captures one event: redacts secrets, truncates oversized tool output and buffers
   * it. Synchronous and cheap: every `batchSize` (512) events the buffer is handed to
   * the core's background writer, so this call never waits for the disk. `flush()`
   * makes events durable; closing or dropping the handle flushes too.
   *
   * Throws code `HIVEMIND_INVALID_INPUT` for a malformed event, `HIVEMIND_CLOSED` after
   * `close()`.
   */
  capture(event: HivemindEvent): void
  /**
   * Captures several events under one lock; returns how many. Nothing is captured when
   * one of them is malformed (the error names its index).
   */
  captureMany(events: HivemindEvent[]): number
  /** Writes buffered events to the database; resolves to how many were written. */
  flush(): Promise<number>
  /**
   * The stored events of a session, oldest first, in the serde form of the core
   * (`id`, `workspace`, `session`, `agent`, `seq`, `at`, `kind` and the kind's fields).
   * Flushes buffered events first.
   */
  sessionEvents(session: string): Promise<StoredEvent[]>
  /**
   * Records an explicit correction: what the agent produced, what the user accepted
   * instead, and why. Resolves to the stored correction (with its diff).
   */
  recordCorrection(input: CorrectionInput): Promise<Correction>
  /**
   * The workspace's corrections (detected or recorded), oldest first, optionally
   * filtered by session, kind, creation time and count.
   */
  corrections(filter?: CorrectionFilter): Promise<Correction[]>
  /**
   * Mines the workspace's corrections into skills now (a pattern seen `minSupport`
   * times, 3 by default, becomes a skill) and writes their `SKILL.md` files under
   * `<project>/.claude/skills`. Idempotent. Resolves to what the run did.
   */
  skillify(): Promise<SkillifyReport>
  /** The workspace's skills (latest versions), with their lineage under `provenance`. */
  skills(): Promise<Skill[]>
  /**
   * The context to put before the agent acts on `prompt`: the skills relevant to it
   * and, on the session's first call, the most important ones, within `budgetTokens`
   * (default: the configured budget, 2000). Skills already given to the session are
   * not repeated. `text` is empty when there is nothing to inject.
   */
  contextFor(request: ContextRequest): Promise<Selection>
  /**
   * Flushes and closes the handle; later calls fail with code `HIVEMIND_CLOSED`.
   * Closing twice is fine.
   */
  close(): Promise<void>
}

/**
 * Benchmark helper: captures `n` events through the Rust API (`Hivemind::capture`), the
 * same mix as `bench/capture.mjs` sends from JavaScript (even: a prompt, odd: a Bash tool
 * call), then flushes, timing both; synchronous. Opens its own handle with `options` (see
 * `Hivemind.open`). Not part of the stable API.
 */
export declare function benchRustCapture(n: number, options?: OpenOptions): RustCaptureBench

/** Timing of `benchRustCapture`. */
export interface RustCaptureBench {
  /** Events captured. */
  events: number
  /**
   * Nanoseconds spent in the capture loop (batches written as the buffer fills
   * included).
   */
  captureNs: number
  /** Nanoseconds of the final `flush()`. */
  flushNs: number
}
