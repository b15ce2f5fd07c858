import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, parseDocument } from 'yaml';
import type { Node, Pair } from 'yaml';
import { configSchema } from '../../../src/config/index.ts';
import { coreSchema, enumValues, isTimeframeMap, leafKeys, schemaAt } from './schema-keys.ts';
import { z } from 'zod';

/**
 * config/default.yaml with the example lines of optional keys switched on: an indented comment
 * that starts with `key:` (`  # urls:`, `  #   rest: http://…`) is a commented-out key, documented
 * but unset by default. Header comments (column 0) and comments aligned far right (continued
 * explanations) are prose.
 */
export function uncommentExamples(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^( {1,8})# ?(\s*[A-Za-z0-9_]+:(\s|$))/, '$1$2'))
    .join('\n');
}

export interface YamlLeaf {
  readonly path: string;
  /** A comment on the key's line or just above it, or on an enclosing key written on one line. */
  readonly commented: boolean;
}

function hasComment(p: Pair): boolean {
  const k = p.key as Node | null;
  const v = p.value as Node | null;
  return Boolean(k?.commentBefore || k?.comment || v?.commentBefore || v?.comment);
}

/** Leaf keys of the YAML file as the schema reads them (per-timeframe maps and lists are one leaf). */
export function yamlLeaves(text: string): YamlLeaf[] {
  const doc = parseDocument(text);
  const out: YamlLeaf[] = [];
  const walk = (node: unknown, path: string[], inherited: boolean): void => {
    if (!isMap(node)) return;
    node.items.forEach((p) => {
      if (!isPair(p) || !isScalar(p.key)) return;
      const key = String(p.key.value);
      const full = [...path, key];
      const s = schemaAt(full.join('.'));
      const commented = inherited || hasComment(p);
      const leaf = s === undefined || !(coreSchema(s) instanceof z.ZodObject) || isTimeframeMap(s);
      if (leaf) out.push({ path: full.join('.'), commented });
      else walk(p.value, full, commented && isMap(p.value) && Boolean(p.value.flow));
    });
  };
  walk(doc.contents, [], false);
  return out;
}

export interface ReadmeKeys {
  /** Leaf paths the keys table names. */
  readonly leaves: readonly string[];
  /** Problems: a name that is not a key, enum values that differ from the schema's. */
  readonly problems: readonly string[];
}

/** Splits at `sep` outside parentheses. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth === 0 && s.startsWith(sep, i)) {
      out.push(cur);
      cur = '';
      i += sep.length - 1;
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

const ITEM = /^`([A-Za-z0-9_]+)`(?:\s*\((.*)\))?(.*)$/s;

/**
 * The README's "Every key, by section" table. Grammar of a keys cell: comma-separated items, each
 * `` `name` `` optionally followed by `(…)`: for a section its keys (items again), for an enum
 * the values separated by ` / `, otherwise prose; prose may follow an item. A row whose section is
 * itself a leaf (e.g. `modelOverrides`) documents that leaf.
 */
export function readmeKeys(markdown: string): ReadmeKeys {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^\| section \| keys \|$/.test(l.trim()));
  const leaves: string[] = [];
  const problems: string[] = [];
  if (start < 0) return { leaves, problems: ['README: no "| section | keys |" table'] };
  const items = (cell: string, prefix: string): void => {
    for (const raw of splitTop(cell, ', ')) {
      const m = ITEM.exec(raw);
      if (!m) {
        problems.push(`README keys table, ${prefix || 'top'}: cannot read "${raw}" (expected \`name\` …)`);
        continue;
      }
      const [, name, inner] = m;
      const path = prefix ? `${prefix}.${name}` : name;
      const s = schemaAt(path);
      if (s === undefined) {
        problems.push(`README keys table names \`${path}\`, which is not in the schema`);
        continue;
      }
      const section = coreSchema(s) instanceof z.ZodObject && !isTimeframeMap(s);
      if (section) {
        if (inner === undefined) problems.push(`README keys table: section \`${path}\` lists no keys`);
        else items(inner, path);
        continue;
      }
      leaves.push(path);
      const values = enumValues(s);
      if (values && inner !== undefined && inner.includes(' / ')) {
        // Each value is the first backticked word of its part (prose may follow the last one).
        const listed = inner.split(' / ').map((v) => /^`([^`]+)`/.exec(v.trim())?.[1] ?? v.trim());
        if (JSON.stringify([...listed].sort()) !== JSON.stringify([...values].sort()))
          problems.push(
            `README keys table: \`${path}\` lists values ${listed.join(', ')} but the schema allows ${values.join(', ')}`,
          );
      }
    }
  };
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const section = /^`([A-Za-z0-9_]+)`$/.exec(cells[0])?.[1];
    if (!section) {
      problems.push(`README keys table: cannot read the section cell "${cells[0]}"`);
      continue;
    }
    const s = schemaAt(section);
    if (s === undefined) problems.push(`README keys table has a section \`${section}\` the schema lacks`);
    else if (coreSchema(s) instanceof z.ZodObject && !isTimeframeMap(s)) items(cells[1], section);
    else leaves.push(section);
  }
  return { leaves, problems };
}

export const schemaLeafPaths = (): string[] => leafKeys(configSchema).map((k) => k.path);

export const readText = (path: string): string => readFileSync(path, 'utf8');
