/** A tiny subscription point for views that follow one execution (the detail page). */
import type { WardenEvent } from '../api/types';

type Listener = (event: WardenEvent) => void;

const listeners = new Set<Listener>();

export const executionEvents = {
  emit(event: WardenEvent): void {
    for (const listener of listeners) listener(event);
  },
  /** Returns the unsubscribe function. */
  on(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
