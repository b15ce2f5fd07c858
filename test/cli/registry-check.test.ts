import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { warnOnUnusableRegistry } from '../../src/cli/registry-check.ts';
import { configSchema } from '../../src/config/index.ts';
import { createLogger } from '../../src/core/logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'qg-regcheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('live warns at start on a corrupt registry.json (#18 item 10)', () => {
  it('names the file and what fails until it is fixed; silent on a good or missing registry', () => {
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    const config = configSchema.parse({
      exchange: { name: 'binance', symbols: ['BTC/USDT'] },
      data: { stateDir },
    });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      format: 'json',
      destination: { write: (l) => lines.push(l) },
    });
    expect(warnOnUnusableRegistry(config, logger)).toBeNull();
    writeFileSync(join(stateDir, 'registry.json'), '{"format": "quantgate-registry", "versions": [');
    const w = warnOnUnusableRegistry(config, logger);
    expect(w).toContain(join(stateDir, 'registry.json'));
    expect(lines.join('')).toContain('promotions, rollbacks and stored alerts fail');
  });
});
