import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { QuantgateError } from '../core/errors.ts';

/**
 * Output files of a command (--report, --windows, …) never clobber something that is not ours:
 * the name must have the expected extension, and an existing non-empty file is replaced only when
 * it looks like one we wrote (or with --force). A typo like `--windows config/default.yaml` fails
 * before anything is computed.
 */
export interface OutputRule {
  /** The option, for messages: `--report`. */
  readonly option: string;
  /** Required extension, lower case with the dot: `.html`. */
  readonly ext: string;
  /** True when the start of an existing file shows we wrote it. */
  readonly isOurs: (head: string) => boolean;
}

const HEAD_BYTES = 256 * 1024;

function head(path: string): string | null {
  let fd: number;
  try {
    if (!statSync(path).isFile()) return '\0not a regular file';
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new QuantgateError(
      'USAGE',
      `cannot check ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Throws USAGE naming the option when `path` may not be written; returns `path` otherwise. */
export function checkOutputFile(rule: OutputRule, path: string, force = false): string {
  if (!path.toLowerCase().endsWith(rule.ext))
    throw new QuantgateError(
      'USAGE',
      `${rule.option}: expected a file name ending in ${rule.ext}, got "${path}"`,
    );
  const h = head(path);
  if (h === null || h.length === 0) return path;
  if (h.startsWith('\0')) throw new QuantgateError('USAGE', `${rule.option}: ${path} is not a regular file`);
  if (!force && !rule.isOurs(h))
    throw new QuantgateError(
      'USAGE',
      `${rule.option}: ${path} exists and was not written by quantgate; refusing to overwrite it (pass --force to replace it)`,
    );
  return path;
}

/** The HTML report: our renderer's title. */
export const REPORT_OUTPUT: OutputRule = {
  option: '--report',
  ext: '.html',
  isOurs: (h) => /^<!doctype html>\s*<html[^>]*>\s*<head>.*<title>quantgate /is.test(h.slice(0, 2048)),
};

/** The walk-forward windows log: every line a JSON object with `window` and `of`. */
export const WINDOWS_OUTPUT: OutputRule = {
  option: '--windows',
  ext: '.jsonl',
  isOurs: (h) => {
    const first = h.split('\n')[0];
    try {
      const v = JSON.parse(first) as Record<string, unknown>;
      return typeof v === 'object' && v !== null && typeof v.window === 'number' && typeof v.of === 'number';
    } catch {
      return false;
    }
  },
};

/** A CSV output: ours when its first line is our header. */
export function csvOutput(option: string, header: string): OutputRule {
  return { option, ext: '.csv', isOurs: (h) => h.split('\n')[0].trim() === header };
}
