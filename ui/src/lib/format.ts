// Display helpers: phone numbers, times, durations. Pure functions, all output is text.
import type { TunnelStatus } from './types';

/** "+61412345678" → "+61 412 345 678"; NANP → "+1 (415) 555-0100"; anything else as is. */
export function formatPhone(raw: string): string {
  if (!raw) return '';
  const m = /^\+(\d+)$/.exec(raw);
  if (!m) return raw;
  const d = m[1];
  if (d.startsWith('1') && d.length === 11) return `+1 (${d.slice(1, 4)}) ${d.slice(4, 7)}-${d.slice(7)}`;
  if (d.startsWith('61') && d.length === 11) return `+61 ${d.slice(2, 5)} ${d.slice(5, 8)} ${d.slice(8)}`;
  if (d.startsWith('44') && d.length === 12) return `+44 ${d.slice(2, 6)} ${d.slice(6)}`;
  const cc = d.length > 10 ? d.length - 10 : 1;
  const rest = d.slice(cc).replace(/(\d{3})(?=\d{3,})/g, '$1 ');
  return `+${d.slice(0, cc)} ${rest}`;
}

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** Time for a list: "14:05" today, "Yesterday", weekday within a week, else a date. */
export function shortTime(iso: string | null, now = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  if (sameDay(d, now)) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return 'Yesterday';
  if (now.getTime() - d.getTime() < 6 * 86_400_000) return d.toLocaleDateString([], { weekday: 'short' });
  return d.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

export function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Heading for a date separator in a thread. */
export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  if (sameDay(d, now)) return 'Today';
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return 'Yesterday';
  return d.toLocaleDateString([], {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric',
  });
}

export function dayKey(iso: string): string {
  return new Date(iso).toDateString();
}

export function dateTime(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

/** 74 → "1:14". */
export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The message an IPC error carries (`{code, message}`), or a readable fallback. */
export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e && typeof (e as { message: unknown }).message === 'string') {
    return (e as { message: string }).message;
  }
  if (typeof e === 'string') return e;
  return 'Something went wrong.';
}

/**
 * The URL to hand to the system browser, or null: only `http:`/`https:` links with a host
 * (never `javascript:`, `file:`, `tauri:`, `data:`…), normalised by the URL parser so what
 * is checked is what is opened.
 */
export function openableUrl(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (!u.hostname || u.username || u.password) return null;
  return u.href;
}

/**
 * A link as written in a sentence, without the punctuation that ends the sentence around it:
 * "see https://shop.example/o/42." links to …/42, "(https://x.example/a)" to …/a. A closing
 * bracket the link opened itself (Wikipedia's "…_(bakery)") is kept.
 */
function trimLink(raw: string): string {
  let url = raw;
  for (;;) {
    const last = url.at(-1) ?? '';
    const opens = { ')': '(', ']': '[', '}': '{' }[last];
    if ('.,;:!?'.includes(last) && last !== '') url = url.slice(0, -1);
    else if (opens && url.split(opens).length <= url.split(last).length - 1) url = url.slice(0, -1);
    else return url;
  }
}

/** Splits text into plain and link parts, so links can be shown as buttons (opened only on click). */
export function linkParts(text: string): { text: string; url: boolean }[] {
  const out: { text: string; url: boolean }[] = [];
  const re = /https?:\/\/[^\s<>"']+/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const i = m.index ?? 0;
    const link = trimLink(m[0]);
    if (i > last) out.push({ text: text.slice(last, i), url: false });
    out.push({ text: link, url: openableUrl(link) !== null });
    last = i + link.length;
  }
  if (last < text.length) out.push({ text: text.slice(last), url: false });
  return out;
}

/** How long ago, in words: "just now", "3 min ago", "2 h ago", "4 days ago". */
export function ago(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const mins = Math.floor((now.getTime() - d.getTime()) / 60_000);
  if (mins < 1) return 'just now';
  if (mins < 60) return `${mins} min ago`;
  const hours = Math.floor(mins / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/**
 * How the settings screen labels the tunnel: its word (connected, connecting, down, off),
 * the public URL while online, and why it is not, from the core's one tunnel state
 * (`TunnelStatus.state`, the same value a `tunnel_changed` event carries).
 */
export function tunnelView(t: TunnelStatus): {
  label: 'connected' | 'connecting' | 'down' | 'off';
  url: string | null;
  error: string | null;
} {
  const s = t.state;
  if (t.kind === 'none') return { label: 'off', url: null, error: s.state === 'stopped' ? s.reason : null };
  switch (s.state) {
    case 'online':
      return { label: 'connected', url: s.url, error: null };
    case 'connecting':
      return { label: 'connecting', url: null, error: null };
    case 'reconnecting':
      return { label: 'connecting', url: null, error: s.reason };
    case 'failed':
      return { label: 'down', url: null, error: s.reason };
    case 'stopped':
      return { label: 'off', url: null, error: s.reason };
  }
}

/** What a voicemail's transcript line says: its text, or why there is none. A message
 * longer than Twilio transcribes (120 s) says so instead of "pending" for ever. */
export function transcriptLine(v: {
  transcription: string | null;
  transcript_state: 'pending' | 'done' | 'too_long' | 'failed';
}): string {
  if (v.transcription) return v.transcription;
  switch (v.transcript_state) {
    case 'too_long':
      return 'Too long for Twilio\u2019s transcription (over 2 minutes)';
    case 'failed':
      return 'No transcript';
    case 'done':
      return 'No words were heard';
    case 'pending':
      return 'Transcript pending\u2026';
  }
}

/** Bytes in words for the attachment limits ("4.2 MB", "820 KB"). */
export function fileSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}
