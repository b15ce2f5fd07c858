import type { TradeRow } from './review.ts';

/** Column order of `--trades FILE.csv`: the trade list exactly as the report shows it. */
export const TRADE_CSV_COLUMNS: ReadonlyArray<keyof TradeRow> = [
  'n',
  'symbol',
  'timeframe',
  'side',
  'entryTime',
  'exitTime',
  'entryPrice',
  'exitPrice',
  'quantity',
  'fees',
  'funding',
  'pnl',
  'return',
  'exitReason',
  'durationMinutes',
  'confidence',
  'pWin',
  'expectedEdgeBps',
  'riskReward',
  'realisedR',
  'acrossGap',
];

function cell(v: TradeRow[keyof TradeRow]): string {
  if (v === null) return '';
  const s = String(v);
  // RFC 4180: quote fields holding a separator, a quote or a line break.
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One header line, then one line per trade; numbers at full precision, empty cells for "not known". */
export function tradesCsv(rows: readonly TradeRow[]): string {
  const lines = [TRADE_CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push(TRADE_CSV_COLUMNS.map((k) => cell(r[k])).join(','));
  return `${lines.join('\n')}\n`;
}
