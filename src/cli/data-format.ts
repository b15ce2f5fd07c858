import { Option } from 'commander';
import type { ConfigLayer } from '../config/index.ts';
import { DATA_FORMATS } from '../core/types.ts';
import type { DataFormat } from '../core/types.ts';
import { optionLayer } from './run.ts';

/** `--data-format csv|freqtrade|auto` for the commands that read candles (overrides data.format). */
export function dataFormatOption(): Option {
  return new Option(
    '--data-format <format>',
    "candle files to read: csv (the store), freqtrade (its <PAIR>-<tf>.feather|json files), auto (CSV when present, else Freqtrade's) (default: data.format)",
  ).choices(DATA_FORMATS);
}

/** The `--data-format` config layer (undefined when the option is absent). */
export function dataFormatLayer(format: DataFormat | undefined): ConfigLayer | undefined {
  return format === undefined ? undefined : optionLayer('--data-format', 'data.format', format);
}
