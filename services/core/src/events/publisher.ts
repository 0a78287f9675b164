import type { Logger } from 'pino';
import { MAX_EVENT_BYTES, type EventInput, type WardenEvent } from './types.js';

/** Delivers serialized events to every connected client. */
export interface EventTransport {
  broadcast(payload: string): Promise<void>;
}

/** A transport for processes that have nowhere to publish (no WebSocket endpoint configured). */
export const nullTransport: EventTransport = { broadcast: async () => {} };

/**
 * Stamps and publishes events. Publishing is best effort: a failure is logged and never breaks
 * the flow that emitted the event (records in DynamoDB remain the source of truth).
 */
export class EventPublisher {
  constructor(
    private readonly transport: EventTransport,
    private readonly logger?: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async publish(input: EventInput): Promise<WardenEvent> {
    const event = { ...input, at: this.now().toISOString() } as WardenEvent;
    const payload = JSON.stringify(event);
    if (Buffer.byteLength(payload) > MAX_EVENT_BYTES) {
      this.logger?.warn({ type: event.type, bytes: payload.length }, 'event too large; dropped');
      return event;
    }
    try {
      await this.transport.broadcast(payload);
    } catch (error) {
      this.logger?.warn({ err: error, type: event.type }, 'event publish failed');
    }
    return event;
  }
}
