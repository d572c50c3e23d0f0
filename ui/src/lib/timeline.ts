// One timeline per customer: texts, calls and voicemails in time order, paged by the core
// (store::timeline::page). These helpers keep the pages the thread has shown in the
// core's order, so a reload of the newest page after an event does not throw away the
// older pages the owner scrolled back to, and an older page never repeats a row.
import type { CoreEvent, Cursor, Item, Kind, Message, Page } from './types';

/** The order of kinds at one instant, as the core's `Kind` (a call, its voicemail, then a text). */
const RANK: Record<Kind, number> = { call: 0, voicemail: 1, message: 2 };

/** A key unique over every kind (a call and a text can share an id). */
export function itemKey(i: Item): string {
  return `${i.kind}-${i.id}`;
}

export function cursorOf(i: Item): Cursor {
  return { at: i.created_at, kind: i.kind, id: i.id };
}

/** <0 when `a` comes before (is older than) `b` in the core's order (time, kind, id). */
export function compare(a: Cursor, b: Cursor): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.kind !== b.kind) return RANK[a.kind] - RANK[b.kind];
  return a.id - b.id;
}

/** What the thread shows: its items, oldest first, and where the next older page starts. */
export interface Shown {
  items: Item[];
  before: Cursor | null;
}

/**
 * The thread after its newest page was loaded again: `fresh` replaces the newest rows,
 * and the older rows already paged in stay (with their own `before`), so an event does
 * not scroll the owner back to the end.
 */
export function refreshNewest(fresh: Page, shown: Shown): Shown {
  const oldest = fresh.items[0];
  if (!fresh.before || !oldest) return { items: fresh.items, before: fresh.before };
  const keep = shown.items.filter((i) => compare(cursorOf(i), cursorOf(oldest)) < 0);
  if (keep.length === 0) return { items: fresh.items, before: fresh.before };
  return { items: [...keep, ...fresh.items], before: shown.before };
}

/** `shown` with an older page in front of it, without repeating a row. */
export function prependOlder(older: Page, shown: Shown): Shown {
  const known = new Set(shown.items.map(itemKey));
  return { items: [...older.items.filter((i) => !known.has(itemKey(i))), ...shown.items], before: older.before };
}

/** The texts of a timeline (a media event is about one of them). */
export function messagesOf(items: Item[]): Message[] {
  return items.filter((i): i is Item & Message & { kind: 'message' } => i.kind === 'message');
}

/** Whether a call or voicemail row offers "Text back": a caller we could not talk to, with a number that takes texts. */
export function canTextBack(i: Item): boolean {
  if (i.kind === 'voicemail') return i.from.startsWith('+');
  if (i.kind === 'call') return i.missed && i.customer.startsWith('+');
  return false;
}

/**
 * Whether `e` may add or change a call or voicemail row. Call and voicemail events name
 * the call or recording, not the customer, so the open thread reloads its newest page
 * (coalesced) for each; they are a few a day, not a stream.
 */
export function touchesTimeline(e: CoreEvent): boolean {
  return (
    e.type === 'call_updated' ||
    e.type === 'voicemail_updated' ||
    (e.type === 'download_failed' && e.download_kind !== 'media')
  );
}
