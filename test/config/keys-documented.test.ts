import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { readText, readmeKeys, schemaLeafPaths, uncommentExamples, yamlLeaves } from './key-effects/docs.ts';

// The project rule: every key of src/config/schema.ts is in config/default.yaml with a comment and
// in the README's keys table, and neither names a key the schema lacks.
const schema = schemaLeafPaths();
const yamlText = uncommentExamples(readText(join(REPO_ROOT, 'config/default.yaml')));
const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

describe('every config key is documented', () => {
  it('config/default.yaml (its commented-out examples switched on) is a valid config', () => {
    expect(() => configSchema.parse(parse(yamlText))).not.toThrow();
  });

  it('config/default.yaml has every schema leaf key and no other', () => {
    const inYaml = yamlLeaves(yamlText).map((l) => l.path);
    expect(
      sorted(schema.filter((k) => !inYaml.includes(k))),
      'schema keys missing from default.yaml',
    ).toEqual([]);
    expect(sorted(inYaml.filter((k) => !schema.includes(k))), 'default.yaml keys not in the schema').toEqual(
      [],
    );
  });

  it('every key in config/default.yaml has a comment', () => {
    const bare = yamlLeaves(yamlText)
      .filter((l) => !l.commented)
      .map((l) => l.path);
    expect(bare, 'keys without a comment in default.yaml').toEqual([]);
  });

  it('the README keys table names every schema leaf key and no other', () => {
    const r = readmeKeys(readText(join(REPO_ROOT, 'README.md')));
    expect(r.problems).toEqual([]);
    expect(
      sorted(schema.filter((k) => !r.leaves.includes(k))),
      'schema keys missing from the README',
    ).toEqual([]);
    expect(sorted(r.leaves.filter((k) => !schema.includes(k))), 'README keys not in the schema').toEqual([]);
  });
});
