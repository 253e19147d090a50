import { useCallback, useRef, useState } from 'react';
import { describeError } from './describe-error';

export interface RunnerState {
  /** What is running now ("Obscuring..."), or null when idle. */
  busy: string | null;
  /** 0..1 while a step reports progress; null when it has not (yet). */
  progress: number | null;
  /** The last failure, shown until the next action starts. */
  error: string | null;
}

export interface Runner extends RunnerState {
  /**
   * Runs one action: only one at a time (Photoshop's modal scope is exclusive anyway, and a
   * second click must not start a second export). Every error is caught and shown, because UXP
   * drops uncaught ones silently. Resolves to the action's result, or undefined when it failed
   * or another action was still running.
   */
  run<T>(label: string, action: () => Promise<T>): Promise<T | undefined>;
  setProgress(fraction: number): void;
  clearError(): void;
}

export function useRunner(): Runner {
  const [state, setState] = useState<RunnerState>({ busy: null, progress: null, error: null });
  const running = useRef(false);
  const setProgress = useCallback((fraction: number) => {
    setState((s) => (s.busy ? { ...s, progress: Math.max(0, Math.min(1, fraction)) } : s));
  }, []);
  const clearError = useCallback(() => setState((s) => ({ ...s, error: null })), []);
  const run = useCallback(async <T>(label: string, action: () => Promise<T>): Promise<T | undefined> => {
    if (running.current) return undefined;
    running.current = true;
    setState({ busy: label, progress: null, error: null });
    try {
      const result = await action();
      setState({ busy: null, progress: null, error: null });
      return result;
    } catch (e) {
      setState({ busy: null, progress: null, error: describeError(e) });
      return undefined;
    } finally {
      running.current = false;
    }
  }, []);
  return { ...state, run, setProgress, clearError };
}
