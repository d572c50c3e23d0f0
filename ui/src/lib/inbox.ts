// Paging the conversation list: the core returns pages of PAGE conversations, newest first,
// and the next page starts after the last one shown (keyset paging), so an inbox of 50,000
// conversations scrolls without loading them all.
import type { ConversationSummary } from './types';

/** The core's page size (store::conversations::list). */
export const PAGE = 50;

/** Where the next page starts: the last conversation shown. */
export function pageAfter(shown: ConversationSummary[]): [string, number] | null {
  const last = shown[shown.length - 1];
  return last ? [last.last_message_at ?? '', last.id] : null;
}

/** Whether `a` sorts after `b` in the list (older, or as old with a smaller id). */
function isOlder(a: ConversationSummary, b: ConversationSummary): boolean {
  const at = a.last_message_at ?? '';
  const bt = b.last_message_at ?? '';
  return at < bt || (at === bt && a.id < b.id);
}

/**
 * The list after a refresh of its first page: `fresh` replaces the newest conversations,
 * and the older ones already paged in stay (a conversation with a new message moved to
 * `fresh`, so it is not kept twice).
 */
export function refreshFirstPage(fresh: ConversationSummary[], shown: ConversationSummary[]): ConversationSummary[] {
  const last = fresh[fresh.length - 1];
  if (!last || fresh.length < PAGE) return fresh;
  const inFresh = new Set(fresh.map((c) => c.id));
  return [...fresh, ...shown.filter((c) => !inFresh.has(c.id) && isOlder(c, last))];
}

/** `shown` followed by an older page, without repeating any conversation. */
export function appendPage(shown: ConversationSummary[], older: ConversationSummary[]): ConversationSummary[] {
  const known = new Set(shown.map((c) => c.id));
  return [...shown, ...older.filter((c) => !known.has(c.id))];
}
