/**
 * One live connection to the WebSocket gateway that never gives up: it reconnects with
 * exponential backoff (with jitter, capped) for as long as the app is open, resyncs over REST
 * after every successful (re)connect so nothing missed while away stays missing, and polls over
 * REST while disconnected so the page keeps moving. Knows nothing of Vue or Pinia.
 */
import type { WardenEvent, WardenEventType } from '../api/types';

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** The part of the browser's WebSocket this module uses (the `ws` package's client has it too). */
export interface SocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Up to this fraction of each delay is random, so a fleet of tabs does not reconnect in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 1000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
};

/** Delay before reconnection attempt `attempt` (1-based). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const base = Math.min(
    options.maxMs,
    options.initialMs * options.factor ** Math.max(0, attempt - 1),
  );
  return Math.round(base * (1 - options.jitter * random()));
}

/** Every event type the app understands; anything else on the wire is ignored. */
const EVENT_TYPES = [
  'worker_online',
  'worker_offline',
  'worker_lost',
  'worker_dismissed',
  'worker_heartbeat',
  'process_state_changed',
  'execution_started',
  'execution_finished',
  'execution_stuck',
  'workflow_blacklisted',
  'workflow_unblacklisted',
  'queue_changed',
] as const satisfies readonly WardenEventType[];

// Fails to compile if core adds an event type this list lacks.
type Missing = Exclude<WardenEventType, (typeof EVENT_TYPES)[number]>;
const _exhaustive: Missing extends never ? true : never = true;
void _exhaustive;

const KNOWN = new Set<string>(EVENT_TYPES);

const isKnownEvent = (value: unknown): value is WardenEvent =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { type?: unknown }).type === 'string' &&
  KNOWN.has((value as { type: string }).type);

/**
 * The known events in one frame, in order. A frame holds one event or, when several happened
 * while the previous frame was on its way, an array of them; anything else (a pong) yields none.
 */
export function parseEvents(data: unknown): WardenEvent[] {
  if (typeof data !== 'string') return [];
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return [];
  }
  return (Array.isArray(value) ? value : [value]).filter(isKnownEvent);
}

export interface ConnectionStatus {
  state: ConnectionState;
  /** Failed attempts since the last successful connection. */
  attempt: number;
  /** Epoch ms of the next attempt while reconnecting. */
  retryAt?: number;
}

export interface RealtimeOptions {
  /** The URL to connect to (token included), or undefined when signed out. */
  url: () => string | undefined;
  onEvent: (event: WardenEvent) => void;
  /** Re-reads everything over REST. */
  resync: () => Promise<void>;
  onStatus?: (status: ConnectionStatus) => void;
  /** Told after every resync, with the error when it failed. */
  onResync?: (error?: unknown) => void;
  createSocket?: SocketFactory;
  backoff?: Partial<BackoffOptions>;
  /** REST polling interval while disconnected. */
  pollIntervalMs?: number;
  /** A ping this often keeps idle connections open (API Gateway closes them after 10 min). */
  keepAliveMs?: number;
  random?: () => number;
}

export class RealtimeConnection {
  private socket: SocketLike | undefined;
  private status: ConnectionStatus = { state: 'idle', attempt: 0 };
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private running = false;
  private readonly backoff: BackoffOptions;
  private readonly createSocket: SocketFactory;

  constructor(private readonly options: RealtimeOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.createSocket =
      options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
  }

  get state(): ConnectionState {
    return this.status.state;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  /** Closes the connection and stops every timer; `start()` may be called again later. */
  stop(): void {
    this.running = false;
    clearTimeout(this.reconnectTimer);
    this.stopPolling();
    this.stopKeepAlive();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000, 'signed out');
    }
    this.setStatus({ state: 'stopped', attempt: 0 });
  }

  /** Re-reads everything now; concurrent calls share one run, and one more follows if asked. */
  resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      do {
        this.resyncAgain = false;
        try {
          await this.options.resync();
          this.options.onResync?.();
        } catch (error) {
          this.options.onResync?.(error);
        }
      } while (this.resyncAgain && this.running);
    })().finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    this.options.onStatus?.(status);
  }

  private connect(): void {
    if (!this.running) return;
    const url = this.options.url();
    if (!url) {
      this.setStatus({ state: 'idle', attempt: 0 });
      return;
    }
    const attempt = this.status.attempt;
    this.setStatus({ state: attempt > 0 ? 'reconnecting' : 'connecting', attempt });
    let socket: SocketLike;
    try {
      socket = this.createSocket(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.setStatus({ state: 'live', attempt: 0 });
      this.stopPolling();
      this.startKeepAlive(socket);
      void this.resync();
    };
    socket.onmessage = (message) => {
      for (const event of parseEvents(message.data)) this.options.onEvent(event);
    };
    socket.onerror = () => {
      // A close event always follows; reconnection is handled there.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.stopKeepAlive();
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    const attempt = this.status.attempt + 1;
    const delay = backoffDelay(attempt, this.backoff, this.options.random);
    this.setStatus({ state: 'reconnecting', attempt, retryAt: Date.now() + delay });
    this.startPolling();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    void this.resync();
    this.pollTimer = setInterval(() => void this.resync(), this.options.pollIntervalMs ?? 5000);
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private startKeepAlive(socket: SocketLike): void {
    this.stopKeepAlive();
    this.keepAliveTimer = setInterval(() => {
      try {
        socket.send(JSON.stringify({ action: 'ping' }));
      } catch {
        // The close handler deals with a dead socket.
      }
    }, this.options.keepAliveMs ?? 240_000);
  }

  private stopKeepAlive(): void {
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
  }
}
