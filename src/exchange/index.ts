export { CandleBuffer } from './candle-buffer.ts';
export type { CandleWindow } from './candle-buffer.ts';
export { CandleBufferSet, seriesId } from './candle-buffers.ts';
export { CandleStream } from './candle-stream.ts';
export type {
  CandleListener,
  CandleStreamOptions,
  DeliveryInfo,
  StreamSeries,
  StreamStats,
} from './candle-stream.ts';
export { createCcxtExchange } from './ccxt-factory.ts';
export type { CcxtCredentials, CcxtExchange, CcxtFactoryOptions } from './ccxt-factory.ts';
export { candleProblem, classifyBinanceFrame, classifyHyperliquidFrame } from './stream-frames.ts';
export type { FrameVerdict } from './stream-frames.ts';
export {
  CcxtBroker,
  credentialsFromEnv,
  newClientOrderId,
  pointPrivateApi,
  rejectReasonOf,
} from './ccxt-broker.ts';
export type {
  BalanceLine,
  CcxtBrokerOptions,
  OrderRequest,
  OrderResult,
  OrderState,
  ReconcileReport,
  RejectReason,
} from './ccxt-broker.ts';
export {
  CSV_HEADER,
  appendCandles,
  candlePath,
  findGaps,
  lastStoredTimestamp,
  readCandleFile,
  readCandles,
  rowProblem,
} from './csv-store.ts';
export type { Gap, ReadOptions, ReadResult } from './csv-store.ts';
export { resampleCandles, resampleMerged, resampleSourcesFor } from './resample.ts';
export type { MergedResample, ResampleResult } from './resample.ts';
export {
  DEFAULT_LIMIT,
  downloadSeries,
  isRetryable,
  isUnreachable,
  ohlcvRowToCandle,
  toQuantgateError,
  unreachableError,
} from './download.ts';
export type { DownloadSeriesOptions, DownloadSeriesResult, OhlcvSource } from './download.ts';
export { loadSeries } from './load-series.ts';
export type { LoadedSeries } from './load-series.ts';
export { freqtradePair, freqtradePaths, readFreqtradeFile } from './freqtrade-store.ts';
export { readStoredSeries, storePaths } from './store-read.ts';
export type { StoreReadOptions, StoredSeries } from './store-read.ts';
export * from './outliers.ts';
