import { describe, expect, it } from 'vitest';
import { ManualClock, SecretRedactor, silentLogger } from '../../src/core/index.ts';
import type { ClosedCandle, Signal } from '../../src/core/index.ts';
import { PaperExecutor, Runtime, StateFile } from '../../src/runtime/index.ts';
import { checkPlugin, PLUGIN_HOOKS, QuantileStrategy } from '../../src/strategy/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const onCandle = async (_c: ClosedCandle): Promise<Signal | null> => null;

function runtimeWith(plugin: object): Runtime {
  return new Runtime({
    exchange: 'binance',
    executionTimeframe: '5m',
    plugin: plugin as never,
    executor: new PaperExecutor(0.001, 0),
    store: new StateFile(mkdtempSync(join(tmpdir(), 'qg-plugin-check-')), new SecretRedactor([])),
    clock: new ManualClock(0),
    logger: silentLogger(),
    startingCash: 1000,
  });
}

describe('the plugin contract is checked where a host takes a plugin', () => {
  it('rejects a misspelt or invented hook with PLUGIN_INVALID naming it', () => {
    for (const bad of ['onOrderUpdated', 'onTrade', 'beforeClose', 'afterCandle'])
      expect(() => runtimeWith({ name: 'p', onCandle, [bad]: () => undefined })).toThrow(
        expect.objectContaining({
          code: 'PLUGIN_INVALID',
          message: expect.stringContaining(`unknown hook ${bad}`),
        }),
      );
    // On a class too: a method on the prototype is a member like any other.
    class Typo {
      readonly name = 'typo';
      onCandle = onCandle;
      onOrderUpate(): void {}
    }
    expect(() => checkPlugin(new Typo(), 'host')).toThrow(/host: plugin "typo": unknown hook onOrderUpate/);
  });

  it('rejects a plugin without onCandle or name, a hook that is not a function, an init without a context', () => {
    expect(() => runtimeWith({ name: 'p' })).toThrow(/hook onCandle is required/);
    expect(() => runtimeWith({ onCandle })).toThrow(/field name must be a non-empty string/);
    expect(() => runtimeWith({ name: 'p', onCandle, dispose: 'soon' })).toThrow(
      /hook dispose must be a function/,
    );
    expect(() => runtimeWith({ name: 'p', onCandle, init: async () => undefined })).toThrow(
      /has an init hook but the runtime was given no context/,
    );
  });

  it('accepts every declared hook, helpers that do not look like hooks, and the real strategy', () => {
    const all = Object.fromEntries(PLUGIN_HOOKS.map((h) => [h, () => undefined]));
    expect(() =>
      checkPlugin({ name: 'all', ...all, onCandle, decisionCounts: () => ({}) }, 'host'),
    ).not.toThrow();
    const config = configSchema.parse({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
    expect(() => checkPlugin(new QuantileStrategy(config), 'host')).not.toThrow();
  });
});
