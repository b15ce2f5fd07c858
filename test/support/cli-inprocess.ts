import { Command, CommanderError } from 'commander';
import { COMMANDS } from '../../src/cli/commands/index.ts';

export interface InProcessResult {
  /** The exit code the real CLI would end with. */
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one CLI command in this process (the same commander program and command functions as
 * bin/quantgate.js, without a node + tsx start-up per case): output captured, process.exitCode
 * read and restored, usage errors mapped to exit 2 as src/cli/main.ts does.
 */
export async function runCliInProcess(args: readonly string[]): Promise<InProcessResult> {
  const program = new Command();
  let stdout = '';
  let stderr = '';
  program
    .name('quantgate')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => (stdout += s),
      writeErr: (s) => (stderr += s),
    });
  for (const register of COMMANDS) register(program);
  for (const c of program.commands)
    c.exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const savedExit = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  let status: number;
  try {
    await program.parseAsync([...args], { from: 'user' });
    status = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) status = e.exitCode === 0 ? 0 : 2;
    else throw e;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = savedExit;
  }
  return { status, stdout, stderr };
}
