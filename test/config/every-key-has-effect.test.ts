import { afterAll, describe, expect, it } from 'vitest';
import { GROUPS, KEY_PROBES } from './key-effects.ts';
import { normalise, probeConfig } from './key-effects/probe.ts';
import { schemaLeafPaths } from './key-effects/docs.ts';
import { removeProbeStore } from './key-effects/data-groups.ts';
import { removeProbeDirs } from './key-effects/run-groups.ts';

// The project rule "every config key has an effect": for each leaf key of the schema, a run of the
// real component it configures under two values of the key, and the two runs must differ.
const keys = schemaLeafPaths();
afterAll(() => {
  removeProbeDirs();
  removeProbeStore();
});
const active = Object.entries(KEY_PROBES).filter(([, p]) => p.pending === undefined);

/** One batch per group: all its probes' configs observed together (shared setup, shared runs). */
const batches = new Map<string, Promise<Map<string, unknown>>>();
function observations(group: string): Promise<Map<string, unknown>> {
  let b = batches.get(group);
  if (!b) {
    b = (async () => {
      const g = GROUPS[group];
      const configs = new Map<string, ReturnType<typeof probeConfig>>();
      for (const [key, p] of active.filter(([, p]) => p.group === group))
        for (const v of p.values) {
          const c = probeConfig(g, p, key, v);
          configs.set(JSON.stringify(c), c);
        }
      const list = [...configs.values()];
      const seen = await g.observe(list);
      return new Map([...configs.keys()].map((k, i) => [k, normalise(seen[i])]));
    })();
    batches.set(group, b);
  }
  return b;
}

describe('every config key has an effect', () => {
  it('every schema leaf key has a probe, and every probe a schema key and a known group', () => {
    expect(
      keys.filter((k) => !(k in KEY_PROBES)),
      'keys without a probe (add one to test/config/key-effects.ts, or remove the key)',
    ).toEqual([]);
    expect(
      Object.keys(KEY_PROBES).filter((k) => !keys.includes(k)),
      'probes of unknown keys',
    ).toEqual([]);
    expect(
      Object.entries(KEY_PROBES)
        .filter(([, p]) => !(p.group in GROUPS))
        .map(([k]) => k),
    ).toEqual([]);
  });

  for (const key of keys) {
    const p = KEY_PROBES[key];
    if (!p) continue;
    if (p.pending !== undefined) {
      it.todo(`${key}: ${p.pending}`);
      continue;
    }
    it(`${key}: ${JSON.stringify(p.values[0])} vs ${JSON.stringify(p.values[1])} changes ${p.via}`, async () => {
      const seen = await observations(p.group);
      const g = GROUPS[p.group];
      const [a, b] = p.values.map((v) => seen.get(JSON.stringify(probeConfig(g, p, key, v))));
      expect(a).toBeDefined();
      expect(a, `${key} has no effect on ${p.via}`).not.toEqual(b);
      // The first key of a group waits for the group's whole batch (a backtest sweep, trainings).
    }, 180_000);
  }
});
