// Progress of a catch-up with Twilio, for the status line.
//
// After the laptop was closed for a while, catch-up may page through thousands of
// messages, calls and recordings before it is done (src-tauri/sync). The core reports each
// page as `sync_progress`; the run ends with `reconcile_changed` (and `sync_completed` when
// it brought something). Small catch-ups (the minute-by-minute check) are not shown: a line
// that flickers every minute says nothing.
import type { CoreEvent } from './types';

/** Items listed so far in the running catch-up, per resource ("messages", "calls", …). */
export type CatchUp = Readonly<Record<string, number>>;

/** Below this many items in all, a catch-up is not worth a line of its own. */
export const SHOW_FROM = 20;

export function nextCatchUp(state: CatchUp, e: CoreEvent): CatchUp {
  switch (e.type) {
    case 'sync_progress':
      return { ...state, [e.resource]: Math.max(state[e.resource] ?? 0, e.listed) };
    case 'sync_completed':
    case 'reconcile_changed':
      return {};
    default:
      return state;
  }
}

const NAMES: Record<string, [string, string]> = {
  messages: ['message', 'messages'],
  calls: ['call', 'calls'],
  recordings: ['recording', 'recordings'],
  transcriptions: ['transcript', 'transcripts'],
};

/** "Catching up with Twilio: 1,234 messages, 56 calls…", or null when there is nothing to show. */
export function catchUpText(state: CatchUp): string | null {
  const entries = Object.entries(state).filter(([, n]) => n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total < SHOW_FROM) return null;
  const parts = entries.map(([resource, n]) => {
    const [one, many] = NAMES[resource] ?? [resource, resource];
    return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
  });
  return `Catching up with Twilio: ${parts.join(', ')}…`;
}
