import type { AccountView, PositionInfo } from '../strategy/index.ts';
import type { RuntimeState } from './state.ts';
import { equityOf } from './state.ts';

/** The plugin's read-only view of a runtime's account (live and backtest hosts alike). */
export function accountViewOf(runtime: { readonly snapshot: Readonly<RuntimeState> }): AccountView {
  return {
    equity: () => equityOf(runtime.snapshot),
    position: (symbol: string): PositionInfo | null => {
      const p = runtime.snapshot.positions[symbol];
      return p
        ? { direction: p.direction, quantity: p.qty, entryPrice: p.entryPrice, entryTime: p.openedAt }
        : null;
    },
    hasPending: (symbol: string) => runtime.snapshot.pending.some((p) => p.symbol === symbol),
  };
}
