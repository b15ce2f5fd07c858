/**
 * A faithful re-implementation of the parts of Debut's core a plugin meets, for testing the Debut
 * adapter where Debut itself cannot be installed (`@debut/community-core` is not on the registry
 * these machines reach; only `@debut/types` is). It is a port, not a friendlier fake: where Debut
 * is surprising, this is surprising the same way (comments say where).
 *
 * Source followed, read from the public repositories:
 * - github.com/debut-js/Core at 94b0717d14854b7b29413ba4e2b0f7554acb51d0 (5.0.8, 2024-05-19):
 *   - src/modules/debut.ts: `start`, `dispose`, `handler` (tick → onBeforeTick skip → on a new
 *     candle time: onCandle(prev) → onAfterCandle(prev) → candles shift; then onTick),
 *     `createOrder` (lots from `opts.amount`, onBeforeOpen veto → resolves `undefined`; the pending
 *     order sits in `orders` while placed; onOpen; a placing error is re-thrown after the pending
 *     order is removed), `closeOrder` (onBeforeClose veto → `undefined`; optimistic removal; an
 *     order never executed is dropped and resolves `undefined`; onClose(order, closing)),
 *     `closeAll` (resolves `undefined` with no orders), `createPending`, `createClosePending`,
 *     `createClientId` (a hex string, although `@debut/types` types `cid` as a number),
 *     `getSnapshot`, `hydrateSnapshot`.
 *   - src/modules/plugin-driver.ts: `register` (onInit is called at once, synchronously, and not
 *     awaited), `skipReduce` (first truthy hook wins, later plugins are not asked), `asyncReduce`,
 *     `reduce`, `getSnapshot`, `hydrateSnapshot`; every hook is bound to one frozen
 *     `{ findPlugin, debut }` context.
 *   - src/cli/tester/tester-transport.ts (`TesterTransport`), src/transports/utils/utils.ts
 *     (`placeSandboxOrder`), src/cli/tester/history.ts (`generateOHLC`), src/cli/tester-cli.ts
 *     (the tester's order: `start()`, `run()`, `closeAll()`, `dispose()`).
 *   - commit 725e9e873b56c48305f6a30e264509cabac45ff7 ("fixes order openings & errors", 2023-08-28):
 *     before it (4.0.12 and older) `createOrder` swallowed a placing error and resolved `undefined`
 *     — `placeFailure: 'resolve-undefined'` reproduces that.
 * - github.com/debut-js/Plugins at 5c9fd8150704f67753ba327d22f71a0698a6985b:
 *   packages/utils/orders.ts (`inverseType`, `syntheticOrderId`), packages/utils/math.ts (`toFixed`).
 * Left out: order books (`onDepth`), transactions (`closeAll(true)`); `learn` replays the candles
 * it is given (`history`) where Debut downloads them.
 */
import type {
  BaseOrder,
  BaseTransport,
  Candle,
  DebutCore,
  DebutOptions,
  DebutSnapshotData,
  ExecutedOrder,
  Instrument,
  InstrumentType,
  OrderType,
  PendingOrder,
  PluginCtx,
  PluginInterface,
  TickHandler,
} from '@debut/types';

// `OrderType` is a `const enum` in @debut/types; isolated modules cannot read it at run time.
const BUY = 'BUY' as OrderType;
const SELL = 'SELL' as OrderType;

type AnyHook = (...args: unknown[]) => unknown;
const HOOKS = [
  'onBeforeOpen',
  'onOpen',
  'onBeforeClose',
  'onClose',
  'onBeforeTick',
  'onTick',
  'onAfterTick',
  'onCandle',
  'onAfterCandle',
  'onInit',
  'onStart',
  'onLearn',
  'onDispose',
  'onDepth',
  'onSnapshot',
  'onHydrate',
  'onOrderUpdated',
  'onMajorCandle',
  'onMajorTick',
] as const;
type HookName = (typeof HOOKS)[number];

/** packages/utils/orders.ts `inverseType`. */
export function inverseType(type: OrderType): OrderType {
  return type === BUY ? SELL : BUY;
}

/** packages/utils/orders.ts `syntheticOrderId`. */
function syntheticOrderId(order: ExecutedOrder | PendingOrder): string {
  return `${Math.floor(Math.random() * 100000)}-${order.type}-${order.price}`;
}

/** packages/utils/math.ts `toFixed` (rounds, not truncates). */
function toFixed(num: number, precision = 2): number {
  const fixation = 10 ** precision;
  return Math.round((num + Number.EPSILON) * fixation) / fixation;
}

/** src/transports/utils/utils.ts `placeSandboxOrder`: fills at the pending price, fee in percent. */
export function placeSandboxOrder(order: PendingOrder, opts: DebutOptions): ExecutedOrder {
  const feeAmount = order.price * order.lots * ((opts.fee ?? 0) / 100);
  return {
    ...order,
    orderId: syntheticOrderId(order),
    executedLots: order.lots,
    commission: { value: feeAmount, currency: 'USD' },
  };
}

/** src/cli/tester/history.ts `generateOHLC`: four ticks per candle, each a quarter of its volume. */
export function generateOHLC(candles: readonly Candle[]): Candle[] {
  const result: Candle[] = [];
  for (const candle of candles) {
    const volume = ~~(candle.v / 4);
    const openTick: Candle = { ...candle, h: candle.o, l: candle.o, c: candle.o, v: volume };
    let highTick: Candle = { ...openTick, h: candle.h, c: candle.h };
    let lowTick: Candle = { ...highTick, l: candle.l, c: candle.l };
    let closeTick: Candle = { ...lowTick, c: candle.c };
    if (candle.o < candle.c) {
      lowTick = { ...openTick, l: candle.l, c: candle.l };
      highTick = { ...lowTick, h: candle.h, c: candle.h };
      closeTick = { ...highTick, c: candle.c };
      result.push(openTick, lowTick, highTick, closeTick);
    } else result.push(openTick, highTick, lowTick, closeTick);
  }
  return result;
}

export interface TesterTransportOptions {
  readonly ticker: string;
  readonly type?: InstrumentType;
  readonly ohlc?: boolean;
  readonly broker?: string;
}

/** src/cli/tester/tester-transport.ts `TesterTransport`. */
export class TesterTransport implements BaseTransport {
  private readonly handlers = new Set<TickHandler>();
  private ticks: Candle[] = [];
  constructor(readonly opts: TesterTransportOptions) {}

  async getInstrument(opts: DebutOptions): Promise<Instrument> {
    if (!this.ticks.length) throw new Error('transport is not ready, set ticks before bot.start() call');
    return {
      figi: 'test',
      ticker: this.opts.ticker,
      lotPrecision: 10,
      lot: 1,
      id: `${opts.ticker}:${opts.instrumentType}`,
      type: opts.instrumentType ?? 'SPOT',
      minNotional: 0,
      minQuantity: 0,
    };
  }

  setTicks(ticks: readonly Candle[]): void {
    this.ticks = this.opts.ohlc ? generateOHLC(ticks) : ticks.slice();
  }

  async run(): Promise<void> {
    for (const tick of this.ticks) for (const handler of this.handlers) await handler(tick);
  }

  subscribeToTick(_opts: DebutOptions, handler: TickHandler): Promise<() => void> {
    this.handlers.add(handler);
    return Promise.resolve(() => void this.handlers.delete(handler));
  }

  subscribeOrderBook(): Promise<() => void> {
    // Debut's tester returns null here (no order book in a backtest).
    return null as unknown as Promise<() => void>;
  }

  async placeOrder(order: PendingOrder, opts: DebutOptions): Promise<ExecutedOrder> {
    return placeSandboxOrder(order, opts);
  }

  prepareLots(lots: number): number {
    if (
      this.opts.broker === 'binance' ||
      (this.opts.broker === 'alpaca' && this.opts.type === ('CRYPTO' as InstrumentType))
    )
      return toFixed(lots, 4);
    return Math.round(lots) || 1;
  }
}

/** src/modules/plugin-driver.ts `PluginDriver`. */
class PluginDriver {
  private readonly ctx: PluginCtx;
  private readonly plugins: PluginInterface[] = [];
  private readonly hooks = new Map<HookName, AnyHook[]>(HOOKS.map((h) => [h, []]));

  constructor(debut: DebutCore) {
    this.ctx = Object.freeze({ findPlugin: this.findPlugin, debut }) as PluginCtx;
  }

  register(plugins: readonly PluginInterface[]): void {
    for (const plugin of plugins) {
      if (!plugin) continue;
      if (this.findPlugin(plugin.name)) console.warn(`Plugin ${plugin.name} initialized many times!`);
      this.plugins.push(plugin);
      // Called at once and not awaited: onInit is a synchronous hook in Debut.
      if ('onInit' in plugin) plugin.onInit!.call(this.ctx);
      for (const name of HOOKS) {
        const hook = (plugin as unknown as Record<string, AnyHook | undefined>)[name];
        if (hook) this.hooks.get(name)!.push(hook.bind(this.ctx));
      }
    }
  }

  getPublicAPI(): Record<string, unknown> {
    const api: Record<string, unknown> = {};
    for (const plugin of this.plugins) if ('api' in plugin) api[plugin.name] = plugin.api;
    return Object.freeze(api);
  }

  /** The first plugin whose hook returns a truthy value wins; the later ones are not asked. */
  skipReduce(name: 'onBeforeOpen' | 'onBeforeClose' | 'onBeforeTick', ...args: unknown[]): boolean {
    for (const hook of this.hooks.get(name)!) {
      const skip = hook(...args) as boolean | void;
      if (skip) return skip;
    }
    return false;
  }

  async asyncReduce(name: HookName, ...args: unknown[]): Promise<void> {
    for (const hook of this.hooks.get(name)!) await hook(...args);
  }

  reduce(name: HookName, ...args: unknown[]): void {
    for (const hook of this.hooks.get(name)!) hook(...args);
  }

  getSnapshot(): Record<string, Record<string, unknown>> {
    const snapshot: Record<string, Record<string, unknown>> = {};
    for (const plugin of this.plugins)
      if ('onSnapshot' in plugin)
        snapshot[plugin.name] = { ...snapshot[plugin.name], ...plugin.onSnapshot!.call(this.ctx) };
    return snapshot;
  }

  hydrateSnapshot(snapshot: Record<string, Record<string, unknown>> | undefined): void {
    for (const plugin of this.plugins) {
      const data = snapshot?.[plugin.name];
      if ('onHydrate' in plugin && data) plugin.onHydrate!.call(this.ctx, data);
    }
  }

  private findPlugin = <T extends PluginInterface>(name: string): T =>
    this.plugins.find((p) => p.name === name) as T;
}

export interface DebutReplicaOptions {
  /**
   * What `createOrder` does when the transport fails to place: `reject` (Core 5.x, re-throws) or
   * `resolve-undefined` (Core 4.0.12 and older: logs and resolves `undefined`).
   */
  readonly placeFailure?: 'reject' | 'resolve-undefined';
  /** What `learn(days)` replays: Debut downloads it (`getHistory`); here it is handed over. */
  readonly history?: (days: number) => Candle[];
}

/** src/modules/debut.ts `Debut` (the abstract base every Debut bot extends), concrete. */
export class DebutReplica implements DebutCore {
  id = 'replica';
  dispose: () => Promise<void>;
  instrument!: Instrument;
  opts: DebutOptions;
  orders: Array<ExecutedOrder | PendingOrder> = [];
  learning = false;
  plugins: unknown;
  /** Core warnings (Debut writes them with console.warn). */
  readonly warnings: string[] = [];
  protected candles: Candle[] = [];
  private readonly pluginDriver: PluginDriver;
  private orderCounter = 0;
  private marketTick: Candle | undefined;

  constructor(
    readonly transport: BaseTransport,
    opts: DebutOptions,
    private readonly replica: DebutReplicaOptions = {},
  ) {
    const defaults: Partial<DebutOptions> = {
      instrumentType: 'SPOT',
      fee: 0.0003,
      lotsMultiplier: 1,
      equityLevel: 1,
    };
    this.opts = { ...defaults, ...opts };
    this.pluginDriver = new PluginDriver(this);
    this.dispose = async () => undefined;
  }

  /** The last closed candle. */
  get prevCandle(): Candle {
    return this.candles[1];
  }

  /** The candle forming now (its latest tick). */
  get currentCandle(): Candle {
    return this.candles[0];
  }

  get ordersCount(): number {
    return this.orderCounter;
  }

  registerPlugins(plugins: PluginInterface[]): void {
    this.pluginDriver.register(plugins);
    this.plugins = this.pluginDriver.getPublicAPI();
  }

  async start(): Promise<() => void> {
    await this.pluginDriver.asyncReduce('onStart');
    this.instrument = await this.transport.getInstrument(this.opts);
    const unsubscribe = await this.transport.subscribeToTick(this.opts, this.handler);
    this.dispose = async () => {
      await this.closeAll();
      unsubscribe();
      return this.pluginDriver.asyncReduce('onDispose');
    };
    return this.dispose;
  }

  getName(): string {
    return this.constructor.name;
  }

  async closeAll(
    _collapse = false,
    filter?: (order: ExecutedOrder | PendingOrder) => boolean,
  ): Promise<ExecutedOrder[]> {
    // Debut resolves `undefined` (not []) when there is nothing to close, whatever the type says.
    if (!this.orderCounter) return undefined as unknown as ExecutedOrder[];
    const len = this.orderCounter;
    const list = [...this.orders];
    const closed: Array<Promise<ExecutedOrder>> = [];
    for (let i = 0; i < len; i++) if (!filter || filter(list[i])) closed.push(this.closeOrder(list[i]));
    return Promise.all(closed);
  }

  async createOrder(operation: OrderType): Promise<ExecutedOrder> {
    const price = this.marketTick?.c;
    if (!price)
      throw new Error(
        'Not enought price data for create order. this.start() should called before order create',
      );
    const { amount, lotsMultiplier = 1, sandbox, equityLevel = 1 } = this.opts;
    const { lot, id } = this.instrument;
    const lots = this.transport.prepareLots(((amount * equityLevel) / (price * lot)) * lotsMultiplier, id);
    const pendingOrder = this.createPending(operation, { lots, learning: this.learning, sandbox });
    if (this.pluginDriver.skipReduce('onBeforeOpen', pendingOrder))
      return undefined as unknown as ExecutedOrder;
    try {
      this.orders.push(pendingOrder);
      this.orderCounter++;
      const order = await this.transport.placeOrder(pendingOrder, this.opts);
      await this.pluginDriver.asyncReduce('onOpen', order);
      await this.onOrderOpened(order);
      // A plugin removed the order while it was placed: close it now.
      if (!this.replacePendingOrder(order)) await this.closeOrder(order);
      return order;
    } catch (e) {
      this.warnings.push(`Order not opened ${(e as Error).message}`);
      this.removeOrder(pendingOrder);
      if (this.replica.placeFailure === 'resolve-undefined') return undefined as unknown as ExecutedOrder;
      throw e;
    }
  }

  async closeOrder(closing: ExecutedOrder | PendingOrder): Promise<ExecutedOrder> {
    const pendingOrder = this.createClosePending(closing);
    if (this.pluginDriver.skipReduce('onBeforeClose', pendingOrder, closing))
      return undefined as unknown as ExecutedOrder;
    this.removeOrder(closing);
    if (!this.isExecuted(closing)) return undefined as unknown as ExecutedOrder;
    const order = await this.transport.placeOrder(pendingOrder, this.opts);
    await this.pluginDriver.asyncReduce('onClose', order, closing);
    await this.onOrderClosed(order, closing);
    return order;
  }

  async reduceOrder(closing: ExecutedOrder | PendingOrder, reduce: number): Promise<ExecutedOrder> {
    const { id } = this.instrument;
    const reducedLots = this.transport.prepareLots(closing.lots * reduce, id);
    const remainingLots = this.transport.prepareLots(closing.lots - reducedLots, id);
    const pendingOrder = this.createClosePending(closing, { lots: reducedLots, reduce });
    if (this.pluginDriver.skipReduce('onBeforeClose', pendingOrder, closing))
      return undefined as unknown as ExecutedOrder;
    const changes: Partial<ExecutedOrder> = { lots: remainingLots, executedLots: remainingLots };
    Object.assign(closing, changes);
    this.pluginDriver.reduce('onOrderUpdated', closing, changes);
    const order = await this.transport.placeOrder(pendingOrder, this.opts);
    await this.pluginDriver.asyncReduce('onClose', order, closing);
    await this.onOrderClosed(order, closing as ExecutedOrder);
    return order;
  }

  async learn(days = 7): Promise<void> {
    await this.pluginDriver.asyncReduce('onLearn', days);
    this.instrument = await this.transport.getInstrument(this.opts);
    this.learning = true;
    const ticks = this.replica.history?.(days) ?? [];
    while (ticks.length) await this.handler(ticks.shift()!);
    this.learning = false;
  }

  hydrateSnapshot(snapshot: Partial<DebutSnapshotData>): void {
    this.opts = snapshot.opts || this.opts;
    this.orders = snapshot.orders || [];
    // Debut does not reset its order counter here (a quirk kept: ordersCount stays as it was).
    this.pluginDriver.hydrateSnapshot(snapshot.pluginsData);
  }

  getSnapshot(): Partial<DebutSnapshotData> {
    if (this.learning) return {};
    return {
      opts: this.opts,
      orders: this.orders.filter((o): o is ExecutedOrder => this.isExecuted(o)),
      pluginsData: this.pluginDriver.getSnapshot(),
    };
  }

  private handler = async (tick: Candle): Promise<void> => {
    const change = this.marketTick && this.marketTick.time !== tick.time && this.candles[0];
    const skip = this.pluginDriver.skipReduce('onBeforeTick', tick);
    this.marketTick = tick;
    if (skip) return;
    if (!change) this.candles[0] = tick;
    else {
      // A tick of a new candle: the previous candle (its last tick) is closed.
      const prevTick = this.currentCandle;
      await this.pluginDriver.asyncReduce('onCandle', prevTick);
      await this.onCandle(prevTick);
      await this.pluginDriver.asyncReduce('onAfterCandle', prevTick);
      this.updateCandles(tick);
    }
    await this.pluginDriver.asyncReduce('onTick', tick);
    await this.onTick(tick);
  };

  private updateCandles(candle: Candle): void {
    if (this.candles.length === 10) this.candles.pop();
    this.candles.unshift(candle);
  }

  private replacePendingOrder(order: ExecutedOrder): boolean {
    const idx = this.orders.findIndex((item) => item.cid === order.cid);
    if (idx === -1) return false;
    this.orders[idx] = order;
    return true;
  }

  private createPending(type: OrderType, details: Partial<PendingOrder> = {}): PendingOrder {
    const { c: price, time } = this.marketTick!;
    return { cid: this.createClientId(), type, author: this.getName(), price, lots: 0, time, ...details };
  }

  private createClosePending(
    closing: PendingOrder | ExecutedOrder,
    details: Partial<PendingOrder> = {},
  ): PendingOrder {
    const pendingDetails: Partial<BaseOrder> = {
      lots: closing.lots,
      openPrice: closing.price,
      openTime: closing.time,
      openId: this.isExecuted(closing) ? closing.orderId : closing.cid,
      sandbox: closing.sandbox,
      learning: closing.learning,
      close: true,
      ...details,
    };
    return this.createPending(inverseType(closing.type), pendingDetails);
  }

  private removeOrder(order: PendingOrder | ExecutedOrder): void {
    const idx = this.orders.findIndex((item) => item.cid === order.cid);
    if (idx !== -1) {
      this.orders.splice(idx, 1);
      this.orderCounter--;
    }
  }

  private isExecuted(order: PendingOrder | ExecutedOrder): order is ExecutedOrder {
    return 'orderId' in order;
  }

  /** Twelve hex digits: a string, although @debut/types declares `cid: number`. */
  private createClientId(): number {
    const s4 = () =>
      Math.floor((1 + Math.random()) * 0x10000)
        .toString(16)
        .substring(1);
    return (s4() + s4() + s4() + '') as unknown as number;
  }

  protected async onOrderClosed(_order: ExecutedOrder, _closing: ExecutedOrder): Promise<void> {}
  protected async onOrderOpened(_order: ExecutedOrder): Promise<void> {}
  protected async onCandle(_candle: Candle): Promise<void> {}
  protected async onTick(_tick: Candle): Promise<void> {}
}
