import { describe, expect, it } from 'vitest';
import { runContractKit } from '../../src/contract/index.ts';
import { backtestHost, runtimeHost } from './hosts.ts';

describe('plugin contract kit', () => {
  it('the built-in runtime (paper executor, risk manager, state file, a restart) calls every hook as documented', async () => {
    const host = runtimeHost();
    const report = await runContractKit(host);
    expect(report.sessions).toBe(2);
    // The script's veto (one per symbol, in run 1) is counted among the runtime's skip reasons.
    expect(host.skipped[0]['veto:contract_veto']).toBe(2);
    expect(report.skipped).toEqual([]);
    expect(report.checked.length).toBeGreaterThanOrEqual(10);
  }, 30_000);

  it('the backtest (runtimeTarget driven by the replay engine) calls every hook it declares as documented', async () => {
    const report = await runContractKit(backtestHost());
    expect(report.sessions).toBe(1);
    expect(report.checked).toContain(
      'onOrderUpdate once per fill, cancel and reject, with its symbol, kind and status',
    );
    expect(report.checked).toContain(
      'beforeOpen once per entry that passed the host’s checks, after its onCandle and before the next candle',
    );
  }, 30_000);
});
