import { createRequire } from 'node:module';
import pino from 'pino';
import type { Logger } from 'pino';
import type { prettyFactory as PrettyFactory } from 'pino-pretty';
import { SecretRedactor, secretValuesFromEnv } from './secrets.ts';

export type { Logger } from 'pino';

/** `pretty`: one human-readable line per record (pino-pretty); `json`: one JSON object per line. */
export type LogFormat = 'json' | 'pretty';
/** What the config and `--log-format` accept; `auto` = pretty on a terminal, JSON otherwise. */
export type LogFormatSetting = LogFormat | 'auto';

export interface LogSink {
  write(s: string): unknown;
}

/**
 * Where log lines end up. A progress bar diverts them while it is drawn (so each line is printed
 * above the bar instead of through it) and gives them back when it stops.
 */
export class LogOutput implements LogSink {
  private diverted: ((s: string) => void) | null = null;
  constructor(readonly target: LogSink & { isTTY?: boolean }) {}
  write(s: string): void {
    if (this.diverted) this.diverted(s);
    else this.target.write(s);
  }
  divert(to: ((s: string) => void) | null): void {
    this.diverted = to;
  }
  get isTTY(): boolean {
    return this.target.isTTY === true;
  }
}

/** The process's stderr as every CLI logger writes to it (stdout stays clean for `--json` output). */
export const stderrOutput = new LogOutput(process.stderr);

/** `auto` resolved: pretty only when the lines go to a terminal. */
export function chooseLogFormat(setting: LogFormatSetting | undefined, isTTY: boolean): LogFormat {
  if (setting === 'json' || setting === 'pretty') return setting;
  return isTTY ? 'pretty' : 'json';
}

export interface LoggerOptions {
  level?: string;
  /** Default `auto`: pretty when the destination is a terminal. */
  format?: LogFormatSetting;
  /** Where lines go; default stderr (through `stderrOutput`, so progress bars can divert them). */
  destination?: LogSink & { isTTY?: boolean };
  redactor?: SecretRedactor;
}

/**
 * One key once per line: pino appends a child's bindings to its parent's, so a `component` or
 * `timeframe` bound twice (or bound and passed again at the call) would appear twice. Reparsing
 * keeps the last, i.e. the most specific, value. Lines that are not JSON pass unchanged.
 */
export function dedupeKeys(line: string): string {
  try {
    return `${JSON.stringify(JSON.parse(line))}\n`;
  } catch {
    return line;
  }
}

type Pretty = (line: string) => string;
let prettyCache: Pretty | undefined;

/** pino-pretty's formatter, loaded only when a pretty logger is made (keeps `--help` light). */
function pretty(colorize: boolean): Pretty {
  if (!prettyCache) {
    const require = createRequire(import.meta.url);
    const { prettyFactory } = require('pino-pretty') as { prettyFactory: typeof PrettyFactory };
    const format = prettyFactory({
      colorize,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname',
      singleLine: true,
    });
    prettyCache = (line) => format(line);
  }
  return prettyCache;
}

/**
 * Logger whose every line passes through the secret redactor before it is written, whatever field
 * or message a key might hide in; JSON lines have no duplicate keys; `pretty` lines are for people.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const redactor = opts.redactor ?? new SecretRedactor(secretValuesFromEnv());
  const dest = opts.destination ?? stderrOutput;
  const format = chooseLogFormat(opts.format, dest.isTTY === true);
  const toText: Pretty = format === 'pretty' ? pretty(dest.isTTY === true) : (l) => l;
  const stream = {
    write: (s: string) => dest.write(redactor.redact(toText(redactor.redact(dedupeKeys(s))))),
  };
  return pino({ level: opts.level ?? process.env.QUANTGATE_LOG_LEVEL ?? 'info', base: undefined }, stream);
}

/**
 * A child logger for a component. Nested components read `backtest/runtime` instead of writing
 * `component` twice; other bindings the parent already has are not repeated.
 */
export function childLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  const own = parent.bindings();
  const b: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(bindings)) {
    if (k === 'component' && typeof own.component === 'string' && own.component !== v)
      b.component = `${own.component}/${String(v)}`;
    else if (own[k] !== v) b[k] = v;
  }
  return parent.child(b);
}

/** A logger that drops everything (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
