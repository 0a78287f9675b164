/** Plain-text rendering for the CLI: uncoloured tables (safe in pipes and logs) and durations. */
import Table from 'cli-table3';

/**
 * Makes text safe to print on a terminal: control characters (escape sequences that could move
 * the cursor, rewrite earlier lines or set the window title), DEL, C1 controls and bidirectional
 * overrides are shown as `\xNN` / `\uNNNN`. Newlines stay, as table cells use them.
 */
export function escapeControl(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (char) => {
      const code = char.charCodeAt(0);
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`;
    },
  );
}

export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map((cell) => String(cell)));
  return t.toString();
}

/** Key/value pairs as a two-column table. */
export function details(pairs: [string, string | number | undefined][]): string {
  const t = new Table({ style: { head: [], border: [] } });
  for (const [key, value] of pairs) {
    if (value !== undefined && value !== '') t.push({ [key]: String(value) });
  }
  return t.toString();
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

export const ago = (iso: string | undefined, now = Date.now()): string =>
  iso ? `${duration(now - Date.parse(iso))} ago` : '-';
