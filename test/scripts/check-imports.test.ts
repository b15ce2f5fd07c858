import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildGraph,
  checkImports,
  findCycles,
  layerViolations,
  relativeImports,
} from '../../scripts/check-imports.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A throwaway source tree: path → text. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'qg-imports-'));
  dirs.push(root);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const LAYERS = [['core'], ['models'], ['backtest'], ['retrain']];

describe('scripts/check-imports.ts', () => {
  it('finds every import form and ignores comments, strings and packages', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b/index.ts';",
      "export { c } from './c.ts';",
      "export * from './d.ts';",
      "const e = await import('./e.ts');",
      "import 'node:fs';",
      "import ts from 'typescript';",
      "// import { x } from './commented.ts';",
      'const s = "import { y } from \'./string.ts\'";',
    ].join('\n');
    expect(relativeImports('x.ts', text)).toEqual(['./a.ts', '../b/index.ts', './c.ts', './d.ts', './e.ts']);
  });

  it('a two-file cycle through a type-only import fails, named as a path', () => {
    const root = tree({
      'models/network.ts': "import { buildMlp } from './mlp.ts';\nexport const n = buildMlp;\n",
      'models/mlp.ts': "import type { Spec } from './network.ts';\nexport const buildMlp = (s: Spec) => s;\n",
      'models/ok.ts': "import { n } from './network.ts';\n",
    });
    expect(findCycles(buildGraph(root))).toEqual([['models/mlp.ts', 'models/network.ts', 'models/mlp.ts']]);
    expect(checkImports(root, LAYERS)).toEqual([
      'import cycle: models/mlp.ts -> models/network.ts -> models/mlp.ts',
    ]);
  });

  it('a longer cycle across folders through index files and a dynamic import fails', () => {
    const root = tree({
      'backtest/index.ts': "export * from './run.ts';\n",
      'backtest/run.ts': "export const run = () => import('../retrain/index.ts');\n",
      'retrain/index.ts': "export { holdout } from './holdout.ts';\n",
      'retrain/holdout.ts': "import { run } from '../backtest/index.ts';\nexport const holdout = run;\n",
    });
    const cycles = findCycles(buildGraph(root));
    expect(cycles).toHaveLength(1);
    expect(cycles[0][0]).toBe(cycles[0][cycles[0].length - 1]);
    expect(new Set(cycles[0])).toEqual(
      new Set(['backtest/index.ts', 'backtest/run.ts', 'retrain/index.ts', 'retrain/holdout.ts']),
    );
    // The same tree also has the back-edge backtest → retrain.
    expect(checkImports(root, LAYERS)).toContain(
      'back-edge: backtest/run.ts imports retrain/index.ts (backtest is below retrain)',
    );
  });

  it('an import from a lower folder up the layer order fails without any cycle; downwards passes', () => {
    const root = tree({
      'core/errors.ts': 'export const E = 1;\n',
      'models/index.ts': "import { E } from '../core/errors.ts';\nexport const M = E;\n",
      'backtest/index.ts': "import { M } from '../models/index.ts';\nexport const B = M;\n",
      'models/uses-backtest.ts':
        "import type { B } from '../backtest/index.ts';\nexport type X = typeof B;\n",
    });
    const graph = buildGraph(root);
    expect(findCycles(graph)).toEqual([]);
    expect(layerViolations(graph, LAYERS)).toEqual([
      { from: 'models/uses-backtest.ts', to: 'backtest/index.ts', why: 'models is below backtest' },
    ]);
  });

  it('a folder missing from the layer order fails; a clean tree reports nothing', () => {
    const root = tree({
      'core/a.ts': 'export const a = 1;\n',
      'models/b.ts': "import { a } from '../core/a.ts';\nexport const b = a;\n",
    });
    expect(checkImports(root, LAYERS)).toEqual([]);
    mkdirSync(join(root, 'stray'));
    writeFileSync(join(root, 'stray/x.ts'), "import { a } from '../core/a.ts';\n");
    expect(checkImports(root, LAYERS)).toEqual([
      'unlayered folder: "stray" is not in the layer order (LAYERS in scripts/check-imports.ts)',
    ]);
  });
});
