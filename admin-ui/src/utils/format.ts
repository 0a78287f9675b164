/** How times, durations, memory and blacklist reasons read in the app. */

/** "4 s", "2 min 5 s", "3 h 12 min", "2 d 4 h". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (minutes < 60) return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Precise short durations for timings: "850 ms", "1.24 s", then as formatDuration. */
export function formatTiming(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return formatDuration(ms);
}

/** "12 s ago", "just now" (under a second), "in 3 s" for the future. */
export function formatAgo(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const delta = now - then;
  if (delta < -1000) return `in ${formatDuration(-delta)}`;
  if (delta < 1000) return 'just now';
  return `${formatDuration(delta)} ago`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : dateTime.format(date);
}

export function formatMemory(mb: number | undefined): string {
  // 0 means "not measured yet" (a process seen in an event before its first heartbeat).
  if (mb === undefined || !Number.isFinite(mb) || mb <= 0) return '—';
  return mb >= 1024 ? `${(mb / 1024).toFixed(2)} GB` : `${Math.round(mb)} MB`;
}

/** `auto:stuck:12` → "12× stuck"; `manual:bad deploy` → "Manual: bad deploy". */
export function formatBlacklistReason(reason: string): string {
  const auto = /^auto:stuck:(\d+)$/.exec(reason);
  if (auto) return `${auto[1]}× stuck`;
  if (reason.startsWith('manual:')) return `Manual: ${reason.slice('manual:'.length).trim()}`;
  return reason;
}

export function isAutomaticReason(reason: string): boolean {
  return reason.startsWith('auto:');
}

export function pluralize(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
