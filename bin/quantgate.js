#!/usr/bin/env node
// In a checkout (src/ present) the CLI runs from the TypeScript sources through tsx, so
// `npx quantgate` works right after `npm ci` with no build step. An installed package ships no
// sources, only the compiled dist/, which runs in plain Node.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
