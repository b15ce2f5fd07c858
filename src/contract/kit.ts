import assert from 'node:assert/strict';
import type { ClosedCandle, ModelTimeframe, Signal } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import type { OrderStatus, OrderUpdate, PluginContext, PluginHook, PositionInfo } from '../strategy/index.ts';
import { PLUGIN_HOOKS } from '../strategy/index.ts';
import { OVERSIZED, RecordingPlugin } from './recording-plugin.ts';
import type { HookCall } from './recording-plugin.ts';
import { DECIDED, SPLIT, scenarioCandles, script } from './scenario.ts';
import type { ContractCandle, ContractOptions, ScriptStep } from './scenario.ts';

/** What the kit hands a host for one run: start it with `plugin`, feed `candles`, stop it. */
export interface ContractSession {
  readonly plugin: RecordingPlugin;
  /**
   * Closed candles in close-time order (one execution timeframe, several symbols). `warmup`
   * candles are history: feed them the way the host feeds its warm-up (the runtime: `warmup: true`).
   */
  readonly candles: readonly ContractCandle[];
  /**
   * How the `nth` (1-based) order the host sends for `symbol` in this session must end: a host
   * that declared `failures` makes those orders end `canceled` / `rejected` (the runtime: an
   * executor that answers so); every other order fills.
   */
  orderOutcome(symbol: string, nth: number): OrderStatus;
  /** 1, or 2 for the run of a persisting host that resumes from run 1's saved state. */
  readonly part: 1 | 2;
}

/**
 * A host under test. `run` starts the host with the session's plugin (the host calls `init` and,
 * on part 2, `restore`), feeds every candle of the session (waiting until each is processed, or at
 * least until the last is), asks for its status once if it calls `modelVersions`, and stops the
 * host (which calls `dispose`). Paper fills are expected by the next decided candle of the symbol
 * (or at once); TP/SL are placed far out, so exits come from `close` signals.
 */
export interface ContractHost {
  readonly name: string;
  /** The hooks this host calls. The kit asserts each is called as documented and no other is. */
  readonly hooks: readonly PluginHook[];
  /** Final states other than `filled` the host can produce for the kit (see `orderOutcome`). */
  readonly failures?: readonly ('canceled' | 'rejected')[];
  /** The host saves the plugin's `snapshot` and restores it in a second run (a restart). */
  readonly persists?: boolean;
  /**
   * Notional (quote) the host's risk manager caps an entry at (maxNotionalPerSymbol). When set,
   * one entry asks for far more and `beforeOpen` must see the capped quantity.
   */
  readonly riskCap?: number;
  run(session: ContractSession): Promise<void>;
}

export interface ContractReport {
  readonly host: string;
  readonly sessions: number;
  /** Names of the checks that ran and passed. */
  readonly checked: readonly string[];
  /** Checks not applicable to this host (a hook it does not call, a failure it cannot produce). */
  readonly skipped: readonly string[];
}

interface ExpectedOrder {
  readonly symbol: string;
  readonly kind: 'entry' | 'exit';
  readonly status: OrderStatus;
  /** Decided-candle index of the decision. */
  readonly at: number;
}

/**
 * Drives `host` with the recording plugin through the kit's scenario and asserts the contract
 * (the order of hooks documented at PLUGIN_HOOKS in src/strategy/plugin.ts). Throws an
 * AssertionError naming the host, the session and the broken rule; resolves with what was checked.
 */
export async function runContractKit(
  host: ContractHost,
  opts: ContractOptions = {},
): Promise<ContractReport> {
  const tf: ModelTimeframe = opts.timeframe ?? '5m';
  const warm = opts.warmup ?? 3;
  const all = scenarioCandles(opts);
  const failures = host.failures ?? [];
  const steps = script(failures, host.riskCap !== undefined);
  const has = (h: PluginHook) => host.hooks.includes(h);
  const unknown = host.hooks.filter((h) => !(PLUGIN_HOOKS as readonly string[]).includes(h));
  assert.equal(unknown.length, 0, `${host.name}: declares hooks outside the contract: ${unknown.join(', ')}`);
  const checked = new Set<string>();
  const skipped = new Set<string>();
  for (const h of PLUGIN_HOOKS) if (!has(h)) skipped.add(`${h} (not called by this host)`);
  for (const f of ['canceled', 'rejected'] as const)
    if (!failures.includes(f)) skipped.add(`onOrderUpdate ${f} (the host cannot produce one)`);
  if (!host.persists) skipped.add('snapshot/restore round trip (the host does not persist)');
  if (host.riskCap === undefined) skipped.add('beforeOpen after the risk cap (no riskCap given)');

  const probe = new RecordingPlugin(all, steps, tf, warm);
  const parts: Array<{ part: 1 | 2; candles: ContractCandle[]; from: number; to: number }> = host.persists
    ? [
        {
          part: 1,
          candles: all.filter((c) => c.warmup || probe.indexOf(c.candle)! < SPLIT),
          from: 0,
          to: SPLIT,
        },
        {
          part: 2,
          candles: all.filter((c) => !c.warmup && probe.indexOf(c.candle)! >= SPLIT),
          from: SPLIT,
          to: DECIDED,
        },
      ]
    : [{ part: 1, candles: all, from: 0, to: DECIDED }];

  let lastSnapshot: unknown;
  for (const p of parts) {
    const plugin = new RecordingPlugin(all, steps, tf, warm);
    const expected = expectedOrders(all, steps, p.from, p.to, has('beforeOpen'));
    const outcome = (symbol: string, nth: number): OrderStatus =>
      expected.filter((e) => e.symbol === symbol)[nth - 1]?.status ?? 'filled';
    await host.run({ plugin, candles: p.candles, orderOutcome: outcome, part: p.part });
    const where = `${host.name} (run ${p.part})`;
    const calls = plugin.calls;
    const ck = (name: string, fn: () => void): void => {
      fn();
      checked.add(name);
    };

    ck('no hook outside the host’s declared list is called', () => {
      const extra = [...new Set(calls.map((c) => c.hook).filter((h) => !has(h)))];
      assert.deepEqual(extra, [], `${where}: called hooks it does not declare: ${extra.join(', ')}`);
    });
    if (has('init'))
      ck('init once, first, with an account', () => {
        assert.equal(calls[0]?.hook, 'init', `${where}: the first hook call is ${calls[0]?.hook}, not init`);
        assert.equal(count(calls, 'init'), 1, `${where}: init called ${count(calls, 'init')} times`);
        const ctx = calls[0].args[0] as PluginContext;
        for (const f of ['equity', 'position', 'hasPending'] as const)
          assert.equal(
            typeof ctx?.account?.[f],
            'function',
            `${where}: init's context has no account.${f}()`,
          );
      });
    if (has('dispose'))
      ck('dispose once, last', () => {
        assert.equal(
          calls.at(-1)?.hook,
          'dispose',
          `${where}: the last hook call is ${calls.at(-1)?.hook}, not dispose`,
        );
        assert.equal(count(calls, 'dispose'), 1, `${where}: dispose called ${count(calls, 'dispose')} times`);
      });
    checkRestore(where, calls, has('restore') && p.part === 2, lastSnapshot, ck);
    checkCandles(where, calls, p.candles, has('warm'), tf, ck);
    if (has('prepare')) checkPrepare(where, calls, ck);
    if (has('beforeOpen')) checkBeforeOpen(where, calls, plugin, expected, steps, host.riskCap, ck);
    if (has('onOrderUpdate')) checkUpdates(where, calls, plugin, expected, all, ck);
    if (has('snapshot'))
      ck('snapshot is called and its state survives JSON', () => {
        const snaps = calls.filter((c) => c.hook === 'snapshot');
        assert.ok(snaps.length > 0, `${where}: snapshot never called`);
        lastSnapshot = snaps.at(-1)!.result;
        assert.deepEqual(JSON.parse(JSON.stringify(lastSnapshot)), lastSnapshot);
      });
    if (has('modelVersions'))
      ck('modelVersions is called', () =>
        assert.ok(count(calls, 'modelVersions') > 0, `${where}: modelVersions never called`),
      );
  }
  return { host: host.name, sessions: parts.length, checked: [...checked], skipped: [...skipped] };
}

function count(calls: readonly HookCall[], h: PluginHook): number {
  return calls.filter((c) => c.hook === h).length;
}

const key = (c: Pick<ClosedCandle, 'symbol' | 'timestamp'>): string => `${c.symbol}@${c.timestamp}`;
const isFeed = (c: HookCall): boolean => c.hook === 'onCandle' || c.hook === 'warm';

/** The orders the script leads to in decided-candle range [from, to), per symbol, in order. */
function expectedOrders(
  all: readonly ContractCandle[],
  steps: ReadonlyMap<number, ScriptStep>,
  from: number,
  to: number,
  vetoes: boolean,
): ExpectedOrder[] {
  const symbols = [...new Set(all.map((c) => c.candle.symbol))];
  const out: ExpectedOrder[] = [];
  for (const symbol of symbols) {
    let open = false;
    for (let i = from; i < to; i++) {
      const s = steps.get(i);
      if (!s) continue;
      if (s.action === 'close') {
        if (open) out.push({ symbol, kind: 'exit', status: 'filled', at: i });
        open = false;
      } else if (!open && !(s.veto && vetoes)) {
        out.push({ symbol, kind: 'entry', status: s.outcome, at: i });
        open = s.outcome === 'filled';
      }
    }
  }
  return out;
}

function checkRestore(
  where: string,
  calls: readonly HookCall[],
  expect: boolean,
  snapshot: unknown,
  ck: (name: string, fn: () => void) => void,
): void {
  ck('restore only after a restart, right after init, with the last snapshot', () => {
    const at = calls.findIndex((c) => c.hook === 'restore');
    if (!expect) return assert.equal(at, -1, `${where}: restore called without a saved state`);
    assert.equal(count(calls, 'restore'), 1, `${where}: restore called ${count(calls, 'restore')} times`);
    const before = calls.slice(0, at).map((c) => c.hook);
    assert.ok(
      before.every((h) => h === 'init'),
      `${where}: restore after ${before.join(', ')}`,
    );
    assert.deepEqual(
      calls[at].args[0],
      snapshot,
      `${where}: restore got another state than the last snapshot`,
    );
  });
}

function checkCandles(
  where: string,
  calls: readonly HookCall[],
  candles: readonly ContractCandle[],
  warm: boolean,
  tf: ModelTimeframe,
  ck: (name: string, fn: () => void) => void,
): void {
  ck('every candle once (warm-up to warm), in close-time order, as given', () => {
    const fed = calls.filter(isFeed);
    const want = new Map(candles.map((c) => [key(c.candle), c]));
    const seen = new Set<string>();
    let lastClose = -Infinity;
    const lastOpen = new Map<string, number>();
    for (const f of fed) {
      const c = f.args[0] as ClosedCandle;
      const w = want.get(key(c));
      assert.ok(w, `${where}: ${f.hook} of a candle not in the session: ${key(c)}`);
      assert.ok(!seen.has(key(c)), `${where}: ${key(c)} fed twice`);
      seen.add(key(c));
      assert.deepEqual(
        pickCandle(c),
        pickCandle(w.candle),
        `${where}: ${key(c)} is not the candle the host was given`,
      );
      const hook = w.warmup && warm ? 'warm' : 'onCandle';
      assert.equal(
        f.hook,
        hook,
        `${where}: ${key(c)} (${w.warmup ? 'warm-up' : 'decided'}) fed to ${f.hook}, not ${hook}`,
      );
      const close = c.timestamp + timeframeMs(tf);
      assert.ok(close >= lastClose, `${where}: ${key(c)} fed after a candle that closes later`);
      lastClose = close;
      assert.ok(
        c.timestamp > (lastOpen.get(c.symbol) ?? -Infinity),
        `${where}: ${key(c)} out of order in its series`,
      );
      lastOpen.set(c.symbol, c.timestamp);
    }
    const missing = [...want.keys()].filter((k) => !seen.has(k));
    assert.deepEqual(missing, [], `${where}: candles never fed to the plugin`);
  });
}

function pickCandle(c: ClosedCandle): Record<string, unknown> {
  const { exchange, symbol, timeframe, timestamp, open, high, low, close, volume } = c;
  return { exchange, symbol, timeframe, timestamp, open, high, low, close, volume };
}

function checkPrepare(
  where: string,
  calls: readonly HookCall[],
  ck: (name: string, fn: () => void) => void,
): void {
  ck('prepare before the onCandle of each candle of its group', () => {
    let n = 0;
    calls.forEach((call, i) => {
      if (call.hook !== 'prepare') return;
      n++;
      const group = call.args[0] as ClosedCandle[];
      assert.ok(group.length > 0, `${where}: prepare with no candles`);
      assert.equal(
        new Set(group.map((c) => c.symbol)).size,
        group.length,
        `${where}: prepare with two candles of one series`,
      );
      for (const c of group) {
        assert.equal(c.timestamp, group[0].timestamp, `${where}: prepare mixes open times`);
        assert.equal(c.timeframe, group[0].timeframe, `${where}: prepare mixes timeframes`);
        const next = calls
          .slice(i + 1)
          .find((x) => isFeed(x) && (x.args[0] as ClosedCandle).symbol === c.symbol);
        assert.ok(next, `${where}: prepared ${key(c)} never fed`);
        assert.equal(
          key(next.args[0] as ClosedCandle),
          key(c),
          `${where}: prepared ${key(c)} but fed another candle of its series next`,
        );
      }
    });
    assert.ok(n > 0, `${where}: prepare never called`);
  });
}

function checkBeforeOpen(
  where: string,
  calls: readonly HookCall[],
  plugin: RecordingPlugin,
  expected: readonly ExpectedOrder[],
  steps: ReadonlyMap<number, ScriptStep>,
  riskCap: number | undefined,
  ck: (name: string, fn: () => void) => void,
): void {
  ck(
    'beforeOpen once per entry that passed the host’s checks, after its onCandle and before the next candle',
    () => {
      const asked = calls.map((c, i) => ({ c, i })).filter((x) => x.c.hook === 'beforeOpen');
      // Every scripted entry taken while flat, vetoed ones included.
      const want = expected.filter((e) => e.kind === 'entry').map((e) => `${e.symbol}#${e.at}`);
      const vetoed = [...steps].filter(([, s]) => s.action === 'open' && s.veto).map(([i]) => i);
      const got = asked.map(
        (x) => `${(x.c.args[0] as Signal).symbol}#${plugin.indexOf(x.c.args[0] as Signal)}`,
      );
      const gotNoVeto = got.filter((g) => !vetoed.includes(Number(g.split('#')[1])));
      assert.deepEqual(gotNoVeto.sort(), [...want].sort(), `${where}: beforeOpen calls`);
      for (const { c, i } of asked) {
        const [signal, quantity] = c.args as [Signal, number];
        const decided = calls
          .slice(0, i)
          .findLast((x) => x.hook === 'onCandle' && key(x.args[0] as ClosedCandle) === key(signal));
        assert.ok(decided, `${where}: beforeOpen for ${key(signal)} before its onCandle`);
        assert.deepEqual(
          signal,
          decided.result,
          `${where}: beforeOpen got another signal than onCandle returned`,
        );
        const between = calls.slice(calls.indexOf(decided) + 1, i).filter(isFeed);
        assert.equal(between.length, 0, `${where}: beforeOpen for ${key(signal)} after a later candle`);
        assert.ok(
          quantity > 0 && quantity <= signal.size,
          `${where}: beforeOpen quantity ${quantity} for size ${signal.size}`,
        );
        if (riskCap !== undefined && signal.size === OVERSIZED)
          assert.ok(
            quantity * signal.price <= riskCap * (1 + 1e-9),
            `${where}: beforeOpen saw ${quantity} — not capped by the risk manager at ${riskCap}`,
          );
      }
      for (const v of vetoed) {
        const symbols = new Set(expected.map((e) => e.symbol));
        for (const s of symbols) {
          const inRange = calls.some(
            (x) =>
              x.hook === 'onCandle' &&
              plugin.indexOf(x.args[0] as ClosedCandle) === v &&
              (x.args[0] as ClosedCandle).symbol === s,
          );
          if (inRange)
            assert.ok(got.includes(`${s}#${v}`), `${where}: the entry ${s}#${v} was not put to beforeOpen`);
        }
      }
    },
  );
}

function checkUpdates(
  where: string,
  calls: readonly HookCall[],
  plugin: RecordingPlugin,
  expected: readonly ExpectedOrder[],
  all: readonly ContractCandle[],
  ck: (name: string, fn: () => void) => void,
): void {
  ck('onOrderUpdate once per fill, cancel and reject, with its symbol, kind and status', () => {
    const symbols = [...new Set(expected.map((e) => e.symbol))];
    const decidedAt = (symbol: string, at: number): ClosedCandle =>
      all.find((c) => !c.warmup && c.candle.symbol === symbol && plugin.indexOf(c.candle) === at)!.candle;
    const ids = new Set<string>();
    for (const symbol of symbols) {
      const want = expected.filter((e) => e.symbol === symbol);
      const got = calls
        .map((c, i) => ({ c, i }))
        .filter((x) => x.c.hook === 'onOrderUpdate' && (x.c.args[0] as OrderUpdate).symbol === symbol);
      assert.deepEqual(
        got.map((x) => `${(x.c.args[0] as OrderUpdate).kind} ${(x.c.args[0] as OrderUpdate).status}`),
        want.map((e) => `${e.kind} ${e.status}`),
        `${where}: ${symbol}'s order updates`,
      );
      got.forEach(({ c, i }, k) => {
        const u = c.args[0] as OrderUpdate;
        const e = want[k];
        const decision = decidedAt(symbol, e.at);
        const filled = u.status === 'filled';
        assert.equal(u.direction, 'long', `${where}: ${symbol} update direction`);
        assert.ok(
          filled ? u.quantity > 0 && u.price > 0 : u.quantity === 0 && u.price === 0,
          `${where}: ${symbol} ${u.status} update with quantity ${u.quantity} at ${u.price}`,
        );
        assert.ok(
          u.timestamp >= decision.timestamp,
          `${where}: ${symbol} update timestamp ${u.timestamp} before its decision candle`,
        );
        assert.ok(
          typeof u.clientOrderId === 'string' && u.clientOrderId !== '' && !ids.has(u.clientOrderId),
          `${where}: ${symbol} update without a distinct clientOrderId`,
        );
        ids.add(u.clientOrderId);
        // After the decision (and its beforeOpen), before the next decided candle of its symbol is answered.
        const decidedCall = calls.findIndex(
          (x) => x.hook === 'onCandle' && key(x.args[0] as ClosedCandle) === key(decision),
        );
        assert.ok(decidedCall >= 0 && decidedCall < i, `${where}: ${symbol} update before its decision`);
        if (e.kind === 'entry' && calls.some((x) => x.hook === 'beforeOpen')) {
          const asked = calls.findIndex(
            (x) => x.hook === 'beforeOpen' && key(x.args[0] as Signal) === key(decision),
          );
          assert.ok(asked >= 0 && asked < i, `${where}: ${symbol} entry update before its beforeOpen`);
        }
        // The account the plugin sees next agrees with the update.
        const next = calls
          .slice(i + 1)
          .find((x) => x.hook === 'onCandle' && (x.args[0] as ClosedCandle).symbol === symbol);
        if (next?.account) {
          const pos: PositionInfo | null = next.account.position;
          if (e.kind === 'entry' && filled) {
            assert.ok(
              pos && pos.direction === 'long',
              `${where}: ${symbol} no long position after a filled entry`,
            );
            assert.ok(
              Math.abs(pos.quantity - u.quantity) <= 1e-9 * u.quantity,
              `${where}: ${symbol} position ${pos.quantity} ≠ filled ${u.quantity}`,
            );
          } else
            assert.equal(pos, null, `${where}: ${symbol} still a position after an ${e.kind} ${u.status}`);
        }
      });
    }
  });
}
