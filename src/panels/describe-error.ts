import { isDeidHostError } from '../actions';
import { isDeidError } from '../core/errors';

/**
 * The message shown for a failed action. Our own errors carry messages written for the person at
 * the panel; anything else is a bug or a Photoshop failure and is shown with its type, because
 * UXP would otherwise drop it silently.
 */
export function describeError(error: unknown): string {
  if (isDeidHostError(error) || isDeidError(error)) return error.message;
  if (error instanceof Error) return `Unexpected ${error.name}: ${error.message}`;
  return `Unexpected error: ${String(error)}`;
}
