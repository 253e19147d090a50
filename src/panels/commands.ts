/** Commands that reach the panel from outside React: the panel's fly-out menu. */
export type PanelCommand = 'run-self-test';

export interface PanelCommands {
  emit(command: PanelCommand): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (command: PanelCommand) => void): () => void;
}

/**
 * A small bus: the menu handler is registered with UXP before React mounts, and can fire while
 * the panel is hidden, so a command sent with no listener is kept until one subscribes.
 */
export function createPanelCommands(): PanelCommands {
  const listeners = new Set<(command: PanelCommand) => void>();
  const pending: PanelCommand[] = [];
  return {
    emit(command) {
      if (listeners.size === 0) {
        pending.push(command);
        return;
      }
      for (const listener of listeners) listener(command);
    },
    subscribe(listener) {
      listeners.add(listener);
      while (pending.length > 0) listener(pending.shift() as PanelCommand);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
