import type { z } from 'zod';
import { removedKeyReason } from './removed-keys.ts';

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

/** One line per problem: `strategy.thresholds.confidence: expected number between 0 and 1, got "high"`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((iss) => {
    if (iss.code === 'unrecognized_keys') {
      const keys = iss.keys;
      const base = issuePath(iss.path);
      return keys
        .map((k) => {
          const path = `${base ? `${base}.` : ''}${k}`;
          return `${path}: ${removedKeyReason(path) ?? 'unknown key'}`;
        })
        .join('\n');
    }
    const where = issuePath(iss.path) || '(top level)';
    let msg = iss.message;
    if (iss.code === 'invalid_type' && iss.input === undefined)
      msg = `missing required key (expected ${iss.expected})`;
    return `${where}: ${msg}`;
  });
}
