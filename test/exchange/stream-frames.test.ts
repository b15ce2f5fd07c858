import { describe, expect, it } from 'vitest';
import { classifyBinanceFrame, classifyHyperliquidFrame } from '../../src/exchange/index.ts';

// Shapes as recorded in ../shared/data/messages (Binance docs example, ccxt's Hyperliquid capture).
const binanceKline = {
  e: 'kline',
  E: 1672515782136,
  s: 'BNBBTC',
  k: {
    t: 1672515780000,
    T: 1672515839999,
    s: 'BNBBTC',
    i: '1m',
    o: '0.0010',
    c: '0.0020',
    h: '0.0025',
    l: '0.0010',
    v: '1000',
    n: 100,
    x: false,
  },
};
const hlCandle = {
  channel: 'candle',
  data: {
    t: 1710146280000,
    T: 1710146339999,
    s: 'BTC',
    i: '1m',
    o: '71400.0',
    c: '71411.0',
    h: '71422.0',
    l: '71389.0',
    v: '1.20407',
    n: 20,
  },
};

describe('frame checks', () => {
  it('accepts real kline and candle frames, raw and combined', () => {
    const v = classifyBinanceFrame(binanceKline);
    expect(v).toMatchObject({ kind: 'candle', wireKey: 'BNBBTC|1m', final: false });
    expect(classifyBinanceFrame({ stream: 'bnbbtc@kline_1m', data: binanceKline }).kind).toBe('candle');
    expect(classifyHyperliquidFrame(hlCandle)).toMatchObject({
      kind: 'candle',
      wireKey: 'BTC|1m',
      candle: {
        timestamp: 1710146280000,
        open: 71400,
        high: 71422,
        low: 71389,
        close: 71411,
        volume: 1.20407,
      },
    });
  });

  it('passes control frames through', () => {
    expect(classifyBinanceFrame({ result: null, id: 1 }).kind).toBe('control');
    expect(classifyHyperliquidFrame({ channel: 'pong' }).kind).toBe('control');
    expect(classifyHyperliquidFrame({ channel: 'subscriptionResponse', data: {} }).kind).toBe('control');
  });

  const k = (patch: Record<string, unknown>) => ({ ...binanceKline, k: { ...binanceKline.k, ...patch } });
  const h = (patch: Record<string, unknown>) => ({ ...hlCandle, data: { ...hlCandle.data, ...patch } });
  const cases: Array<[string, unknown, RegExp]> = [
    ['unparsed text', 'not json', /not JSON/],
    ['array', [1, 2, 3], /not a JSON object/],
    ['empty object', {}, /unexpected/],
    ['price not a number', k({ o: 'abc' }), /finite/],
    ['null close', k({ c: null }), /finite/],
    ['high below low', k({ h: '0.0001' }), /impossible OHLC/],
    ['negative volume', k({ v: '-1' }), /negative volume/],
    ['open time off the grid', k({ t: 1672515780001 }), /grid/],
    ['unknown interval', k({ i: '7m' }), /interval/],
    ['closed flag not boolean', k({ x: 'yes' }), /boolean/],
    ['missing symbol', k({ s: '' }), /symbol/],
    ['hl NaN high', h({ h: 'NaN' }), /finite/],
    ['hl missing coin', h({ s: undefined }), /coin/],
    ['hl unknown channel', { channel: 'weird' }, /unexpected channel/],
  ];
  it.each(cases)('rejects %s', (_name, frame, reason) => {
    const classify = JSON.stringify(frame).includes('channel')
      ? classifyHyperliquidFrame
      : classifyBinanceFrame;
    const v = classify(frame);
    expect(v.kind).toBe('malformed');
    if (v.kind === 'malformed') expect(v.reason).toMatch(reason);
  });
});
