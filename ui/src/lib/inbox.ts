// Paging the conversation list: the core returns pages of PAGE conversations, newest first,
// and the next page starts after the last one shown (keyset paging), so an inbox of 50,000
// conversations scrolls without loading them all.
import type { ConversationState, ConversationSummary } from './types';
import { CONVERSATION_PAGE } from './bindings';

/** The core's page size (store::conversations::PAGE, exported into the bindings). */
export const PAGE = CONVERSATION_PAGE;

/** A conversation's place in the list; no message yet sorts as '' (last), as in the core. */
export function sortKey(c: ConversationSummary): [string, number] {
  return [c.last_message_at ?? '', c.id];
}

/** Whether key `a` sorts after `b` (older, or as old with a smaller id). */
export function sortsAfter([at, id]: [string, number], [bt, bid]: [string, number]): boolean {
  return at < bt || (at === bt && id < bid);
}

/** Where the next page starts: the last conversation shown. */
export function pageAfter(shown: ConversationSummary[]): [string, number] | null {
  const last = shown[shown.length - 1];
  return last ? sortKey(last) : null;
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
  return [...fresh, ...shown.filter((c) => !inFresh.has(c.id) && sortsAfter(sortKey(c), sortKey(last)))];
}

/** `shown` followed by an older page, without repeating any conversation. */
export function appendPage(shown: ConversationSummary[], older: ConversationSummary[]): ConversationSummary[] {
  const known = new Set(shown.map((c) => c.id));
  return [...shown, ...older.filter((c) => !known.has(c.id))];
}

/**
 * The list after one conversation changed (a message arrived or its status moved): its row
 * is replaced and moved to where it now sorts. A row that now sorts after the last one
 * shown, while older pages remain (`more`), is left for paging; with `unreadOnly` a read
 * conversation leaves the list, and with `state` one in the other state (a done
 * conversation that a new message reopened leaves Done and joins Open).
 */
export function placeRow(
  shown: ConversationSummary[],
  c: ConversationSummary,
  opts: { unreadOnly: boolean; more: boolean; state?: ConversationState | null },
): ConversationSummary[] {
  const rest = shown.filter((x) => x.id !== c.id);
  if (opts.unreadOnly && c.unread === 0) return rest;
  if (opts.state && c.state !== opts.state) return rest;
  const key = sortKey(c);
  const at = rest.findIndex((x) => sortsAfter(sortKey(x), key));
  if (at === -1) return opts.more ? rest : [...rest, c];
  return [...rest.slice(0, at), c, ...rest.slice(at)];
}

/** The inbox's filters: everything, unread, open (to deal with) or done. */
export type InboxFilter = 'all' | 'unread' | 'open' | 'done';

/** What `list_conversations` is asked for a filter. */
export function filterOpts(f: InboxFilter): { unreadOnly: boolean; state: ConversationState | null } {
  return { unreadOnly: f === 'unread', state: f === 'open' || f === 'done' ? f : null };
}
