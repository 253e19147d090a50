import { runCli } from '../../src/cli/main';

/** Runs the CLI in-process and captures what it prints. */
export async function deid(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { out: (t) => (stdout += t.endsWith('\n') ? t : `${t}\n`), err: (t) => (stderr += t.endsWith('\n') ? t : `${t}\n`) });
  return { code, stdout, stderr };
}

export function json<T = any>(text: string): T {
  return JSON.parse(text) as T;
}
