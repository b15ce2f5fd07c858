import type { z } from 'zod';

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

/** One line per problem: `strategy.thresholds.confidence: expected number between 0 and 1, got "high"`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((iss) => {
    if (iss.code === 'unrecognized_keys') {
      const keys = iss.keys;
      const base = issuePath(iss.path);
      return keys.map((k) => `${base ? `${base}.` : ''}${k}: unknown key`).join('\n');
    }
    const where = issuePath(iss.path) || '(top level)';
    let msg = iss.message;
    if (iss.code === 'invalid_type' && iss.input === undefined)
      msg = `missing required key (expected ${iss.expected})`;
    return `${where}: ${msg}`;
  });
}
