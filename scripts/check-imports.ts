/**
 * The import structure of src/, checked in `npm test`: no import cycle between files (type-only
 * and `await import()` edges count too — a cycle of types still ties the files together), and no
 * folder importing a folder above it in LAYERS. Read with the TypeScript compiler's parser, so an
 * import inside a comment or a string does not count and every form (`import type`, `export …
 * from`, `import()`) does.
 *
 * Usage: npx tsx scripts/check-imports.ts [--root src] [--graph]
 *   exits 1 listing each cycle and each back-edge; --graph prints the folder-level edges.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The folder name of files directly under the root. */
export const ROOT = '(root)';

/**
 * The layer order, lowest first: a folder may import its own files and folders of an earlier
 * tier, never a later one (nor another folder of its own tier). `core` is below everything.
 * simulator (the local exchange of tests, the demo and benches) needs only core but sits high, so
 * no trading code can come to depend on it; adapters host the plugin in other bots, so they sit
 * beside app (both compose the layers below). contract (the plugin contract's test kit for hosts)
 * needs only strategy and core. ROOT is the files directly under src/ (index.ts, the
 * package's entrance for hosts): above everything, imported by nothing.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['core'],
  ['config'],
  ['exchange', 'features'],
  ['models'],
  ['strategy'],
  ['runtime', 'contract'],
  ['backtest'],
  ['retrain'],
  ['control', 'simulator'],
  ['app', 'adapters'],
  ['cli'],
  [ROOT],
];

/** file (relative to the root, `/`-separated) → the files it imports (same form). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The relative specifiers a file imports, in source order (packages and `node:` left out). */
export function relativeImports(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) spec = node.moduleSpecifier;
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      spec = node.arguments[0];
    if (spec !== undefined && ts.isStringLiteralLike(spec) && spec.text.startsWith('.')) out.push(spec.text);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return tsFiles(p);
      return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
    });
}

const posix = (p: string): string => p.split(sep).join('/');

/** Every .ts file under root with the files under root it imports (imports leaving root are dropped). */
export function buildGraph(root: string): ImportGraph {
  const abs = resolve(root);
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(abs)) {
    const targets = relativeImports(file, readFileSync(file, 'utf8'))
      .map((spec) => resolve(dirname(file), spec))
      .filter((t) => !relative(abs, t).startsWith('..'))
      .map((t) => posix(relative(abs, t)));
    graph.set(posix(relative(abs, file)), [...new Set(targets)]);
  }
  return graph;
}

/**
 * Each import cycle once, as a path that starts and ends at the same file (Tarjan's strongly
 * connected components; one shortest cycle shown per component).
 */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(comp);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) strong(v);
  return components.map((comp) => shortestCycle(graph, new Set(comp)));
}

/** Breadth-first from the component's first file back to itself, staying inside the component. */
function shortestCycle(graph: ImportGraph, comp: ReadonlySet<string>): string[] {
  const start = [...comp].sort()[0];
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!comp.has(w)) continue;
      if (w === start) {
        const path: string[] = [];
        for (let u = v; u !== start; u = parent.get(u)!) path.unshift(u);
        return [start, ...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The top folder of a file (`core` for `core/errors.ts`; ROOT for a file directly under the root). */
export function folderOf(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? ROOT : file.slice(0, i);
}

export interface BackEdge {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/** Imports from a folder to one of a later or the same tier (folders LAYERS does not name: see unlayered). */
export function layerViolations(graph: ImportGraph, layers: readonly (readonly string[])[]): BackEdge[] {
  const tier = new Map<string, number>();
  layers.forEach((folders, i) => folders.forEach((f) => tier.set(f, i)));
  const out: BackEdge[] = [];
  for (const [from, targets] of graph) {
    const a = folderOf(from);
    if (!tier.has(a)) continue;
    for (const to of targets) {
      const b = folderOf(to);
      if (a === b || !tier.has(b)) continue;
      if (tier.get(b)! > tier.get(a)!) out.push({ from, to, why: `${a} is below ${b}` });
      else if (tier.get(b) === tier.get(a)) out.push({ from, to, why: `${a} and ${b} are peers` });
    }
  }
  return out;
}

/** Folders (ROOT for files directly under the root) that LAYERS does not place, so nothing checks them. */
export function unlayered(graph: ImportGraph, layers: readonly (readonly string[])[]): string[] {
  const placed = new Set(layers.flat());
  return [...new Set([...graph.keys()].map(folderOf))].filter((f) => !placed.has(f)).sort();
}

/** Folder-level edges with their file counts, for reading the structure (`--graph`). */
export function folderEdges(graph: ImportGraph): Map<string, number> {
  const edges = new Map<string, number>();
  for (const [from, targets] of graph)
    for (const to of targets) {
      const key = `${folderOf(from)} -> ${folderOf(to)}`;
      if (folderOf(from) !== folderOf(to)) edges.set(key, (edges.get(key) ?? 0) + 1);
    }
  return edges;
}

/** The report lines; empty when the structure is clean. */
export function checkImports(root: string, layers = LAYERS): string[] {
  const graph = buildGraph(root);
  return [
    ...findCycles(graph).map((c) => `import cycle: ${c.join(' -> ')}`),
    ...layerViolations(graph, layers).map((e) => `back-edge: ${e.from} imports ${e.to} (${e.why})`),
    ...unlayered(graph, layers).map(
      (f) => `unlayered folder: "${f}" is not in the layer order (LAYERS in scripts/check-imports.ts)`,
    ),
  ];
}

function main(): void {
  const i = process.argv.indexOf('--root');
  const root = i >= 0 ? process.argv[i + 1] : 'src';
  if (process.argv.includes('--graph')) {
    const edges = [...folderEdges(buildGraph(root))].sort();
    for (const [edge, n] of edges) process.stdout.write(`${edge} (${n})\n`);
  }
  const problems = checkImports(root);
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length > 0) {
    process.stderr.write(`check-imports: ${problems.length} problem(s) under ${root}/\n`);
    process.exit(1);
  }
  process.stdout.write(
    `check-imports: ${buildGraph(root).size} files under ${root}/, no cycle, no back-edge\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
