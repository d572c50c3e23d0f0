// Routing the core's events to what they concern. Every event used to bump one global
// counter that reloaded the open screen and two lists, so each progress tick of a bulk send
// reloaded the inbox. Now each event names what it changes, and each screen reloads (or
// patches) only that.
import type { CampaignProgress, CoreEvent } from './types';

/** What an event can change on screen. */
export type Concern =
  /** One conversation's row (and its open thread): `conversationId` says which. */
  | 'conversation'
  /** The conversation list as a whole (names, or many rows at once). */
  | 'conversations'
  /** The sidebar's unread badge. */
  | 'unread'
  | 'calls'
  | 'voicemails'
  /** The sidebar's unheard-voicemail badge. */
  | 'unheard'
  | 'contacts'
  | 'compliance'
  /** A bulk send's progress: `campaignId` says which. */
  | 'campaign'
  /** The sandbox's simulated customer phone. */
  | 'phone';

const EVERYTHING: Concern[] = [
  'conversations',
  'unread',
  'calls',
  'voicemails',
  'unheard',
  'contacts',
  'compliance',
  'phone',
];

/** The parts of the app `e` changes; empty when it changes nothing shown in a list. */
export function concerns(e: CoreEvent): Concern[] {
  switch (e.type) {
    case 'message_received':
      return ['conversation', 'unread', 'phone'];
    case 'message_updated':
      return ['conversation', 'phone'];
    case 'media_downloaded':
      return ['conversation'];
    case 'download_failed':
      return e.download_kind === 'media' ? ['conversation'] : ['voicemails'];
    case 'call_updated':
      return ['calls'];
    case 'voicemail_updated':
      // The call log marks calls that left a voicemail.
      return ['voicemails', 'unheard', 'calls'];
    case 'contact_updated':
      // Conversation rows show the contact's name and opt-out.
      return ['contacts', 'conversations'];
    case 'compliance_updated':
      return ['compliance'];
    case 'campaign_progress':
      return ['campaign'];
    case 'sync_completed':
      // A catch-up that found nothing (the periodic one, most of the time) changes nothing.
      return e.messages + e.calls + e.voicemails > 0 ? EVERYTHING : [];
    case 'resync':
      return EVERYTHING;
    default:
      // sync_progress, tunnel_changed, reconcile_changed: status lines read them directly;
      // open_conversation, open_voicemail: navigation.
      return [];
  }
}

/** Whether `e` concerns `what`. */
export function touches(e: CoreEvent, what: Concern): boolean {
  return concerns(e).includes(what);
}

/** The conversation a conversation event is about, when the event says. */
export function conversationOf(e: CoreEvent): number | null {
  return e.type === 'message_received' || e.type === 'message_updated' ? e.conversation_id : null;
}

/** The message a media event is about. */
export function mediaMessageOf(e: CoreEvent): number | null {
  if (e.type === 'media_downloaded') return e.message_id;
  if (e.type === 'download_failed' && e.download_kind === 'media') return e.target_id;
  return null;
}

type Listener = (e: CoreEvent) => void;

/**
 * The core's events, fanned out to the parts of the window that listen. Each listener gets
 * every event, synchronously and in order, so a burst (two customers texting at once) is
 * never collapsed into its last event.
 */
export class EventHub {
  private listeners = new Set<Listener>();

  /** Listens until the returned function is called (an `$effect` can return it). */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(e: CoreEvent) {
    for (const l of [...this.listeners]) l(e);
  }
}

/**
 * `task` run now, or once more after the run in flight: a burst of events costs at most two
 * loads, and the last load always starts after the last event.
 */
export function coalesce(task: () => Promise<unknown>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await task();
        } catch {
          // The task shows its own errors.
        }
      } while (again);
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  };
  return run;
}

/** A campaign's progress as `e` reports it, when `e` is campaign `id`'s progress. */
export function progressFrom(e: CoreEvent, id: number): CampaignProgress | null {
  if (e.type !== 'campaign_progress' || e.campaign_id !== id) return null;
  const { sent, skipped, failed, pending, state } = e;
  return {
    id,
    state: state as CampaignProgress['state'],
    total: sent + skipped + failed + pending,
    sent,
    failed,
    skipped,
  };
}
