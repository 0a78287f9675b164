/** Every live event, for views that follow something the stores do not keep (one execution, stuck counts). */
import type { WardenEvent } from '../api/types';

type Listener = (event: WardenEvent) => void;

const listeners = new Set<Listener>();

export const liveEvents = {
  emit(event: WardenEvent): void {
    for (const listener of listeners) listener(event);
  },
  /** Returns the unsubscribe function. */
  on(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
