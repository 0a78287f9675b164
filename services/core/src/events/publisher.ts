import type { Logger } from 'pino';
import { MAX_EVENT_BYTES, MAX_FRAME_BYTES, type EventInput, type WardenEvent } from './types.js';

/** Delivers serialized events to every connected client. */
export interface EventTransport {
  broadcast(payload: string): Promise<void>;
}

/** A transport for processes that have nowhere to publish (no WebSocket endpoint configured). */
export const nullTransport: EventTransport = { broadcast: async () => {} };

/** Events waiting beyond this (a transport far slower than events come) are dropped, oldest first. */
export const MAX_PENDING_EVENTS = 1_000;

interface Pending {
  type: WardenEvent['type'];
  payload: string;
  delivered: () => void;
}

/**
 * Stamps and publishes events. Publishing is best effort: a failure is logged and never breaks
 * the flow that emitted the event (records in DynamoDB remain the source of truth).
 *
 * Events leave in the order they were published: one frame at a time, and the events published
 * while a frame is on its way go out together in the next (an array, up to MAX_FRAME_BYTES).
 * Posting each event on its own, concurrently, let a fast execution's `execution_finished`
 * overtake its `execution_started`, and cost one Connections read per event under a burst.
 */
export class EventPublisher {
  private readonly pending: Pending[] = [];
  private sending = false;

  constructor(
    private readonly transport: EventTransport,
    private readonly logger?: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Resolves once the event's frame was handed to every connection (or failed, logged). */
  async publish(input: EventInput): Promise<WardenEvent> {
    const event = { ...input, at: this.now().toISOString() } as WardenEvent;
    const payload = JSON.stringify(event);
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_EVENT_BYTES) {
      this.logger?.warn({ type: event.type, bytes }, 'event too large; dropped');
      return event;
    }
    await new Promise<void>((delivered) => {
      this.pending.push({ type: event.type, payload, delivered });
      if (this.pending.length > MAX_PENDING_EVENTS) {
        const dropped = this.pending.splice(0, this.pending.length - MAX_PENDING_EVENTS);
        for (const item of dropped) item.delivered();
        this.logger?.warn(
          { dropped: dropped.length, types: [...new Set(dropped.map((p) => p.type))] },
          'events are published faster than they can be sent; the oldest were dropped',
        );
      }
      void this.send();
    });
    return event;
  }

  private async send(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.nextFrame();
        const frame =
          batch.length === 1 ? batch[0]!.payload : `[${batch.map((p) => p.payload).join(',')}]`;
        try {
          await this.transport.broadcast(frame);
        } catch (error) {
          this.logger?.warn(
            { err: error, types: batch.map((p) => p.type) },
            'event publish failed',
          );
        }
        for (const item of batch) item.delivered();
      }
    } finally {
      this.sending = false;
    }
  }

  /** Takes the oldest pending events that fit in one frame (always at least one). */
  private nextFrame(): Pending[] {
    let bytes = 2 + Buffer.byteLength(this.pending[0]!.payload);
    let count = 1;
    while (count < this.pending.length) {
      const next = 1 + Buffer.byteLength(this.pending[count]!.payload);
      if (bytes + next > MAX_FRAME_BYTES) break;
      bytes += next;
      count++;
    }
    return this.pending.splice(0, count);
  }
}
