// Events routed by type: a screen reloads (or patches) only what an event concerns. These
// tests count the backend calls each event causes, so a return to "every event reloads
// everything" fails here.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import App from '../App.svelte';
import Inbox from '../screens/Inbox.svelte';
import BulkSend from '../screens/BulkSend.svelte';
import { FakeBackend, demoData } from '../lib/fake';
import { EventHub, coalesce, concerns } from '../lib/events';
import { placeRow } from '../lib/inbox';
import type { CoreEvent } from '../lib/types';

const progress = (campaign_id: number, sent: number, pending: number): CoreEvent => ({
  type: 'campaign_progress',
  campaign_id,
  sent,
  skipped: 1,
  failed: 0,
  pending,
  state: pending ? 'running' : 'done',
});

/**
 * Runs every effect the events so far scheduled, now: a screen that reloads on an event has
 * asked the backend by the time this returns (each test shows so with an event that does
 * reload), so "not asked" after it is an answer, not a guess about timing.
 */
const flushed = () => flushSync();

/** Once the app listens to the core's events (an event emitted before would go nowhere). */
const listening = (b: FakeBackend) => waitFor(() => expect(b.listenerCount()).toBeGreaterThan(0));

describe('what an event concerns', () => {
  it('names only the parts an event changes', () => {
    expect(concerns({ type: 'message_received', conversation_id: 1, message_id: 2 })).toEqual([
      'conversation',
      'unread',
      'phone',
    ]);
    expect(concerns(progress(1, 1, 1)), 'a bulk send tick touches the campaign only').toEqual(['campaign']);
    expect(concerns({ type: 'call_updated', call_sid: 'CA1' })).toEqual(['calls']);
    expect(
      concerns({ type: 'sync_completed', messages: 0, calls: 0, voicemails: 0 }),
      'a catch-up that found nothing',
    ).toEqual([]);
    expect(concerns({ type: 'sync_completed', messages: 2, calls: 0, voicemails: 0 })).toContain('conversations');
    expect(
      concerns({
        type: 'reconcile_changed',
        status: { last_ok: null, last_error: null, next_attempt: null, failures: 0, runs: 1 },
      }),
    ).toEqual([]);
    expect(concerns({ type: 'download_failed', download_kind: 'recording', target_id: 1, error: 'x' })).toEqual([
      'voicemails',
    ]);
  });

  it('hands every event of a burst to each listener, in order', () => {
    const hub = new EventHub();
    const seen: number[] = [];
    const off = hub.on((e) => e.type === 'message_received' && seen.push(e.conversation_id));
    hub.emit({ type: 'message_received', conversation_id: 1, message_id: 1 });
    hub.emit({ type: 'message_received', conversation_id: 2, message_id: 2 });
    off();
    hub.emit({ type: 'message_received', conversation_id: 3, message_id: 3 });
    expect(seen).toEqual([1, 2]);
  });

  it('runs a burst of reloads at most twice, the last after the last request', async () => {
    let runs = 0;
    let release: () => void = () => {};
    const task = coalesce(() => {
      runs += 1;
      return new Promise<void>((r) => (release = r));
    });
    const first = task();
    task();
    task();
    const last = task();
    release();
    await vi.waitFor(() => expect(runs, 'the burst runs once more').toBe(2));
    release();
    await Promise.all([first, last]);
    expect(runs).toBe(2);
  });

  it('moves a changed conversation to where it now sorts', () => {
    const rows = demoData()
      .conversations.slice()
      .sort((a, b) => ((a.last_message_at ?? '') < (b.last_message_at ?? '') ? 1 : -1));
    const last = { ...rows[rows.length - 1], last_message_at: new Date(Date.now() + 60_000).toISOString(), unread: 2 };
    const moved = placeRow(rows, last, { unreadOnly: false, more: false });
    expect(moved[0]).toEqual(last);
    expect(moved).toHaveLength(rows.length);
    expect(
      placeRow(rows, { ...last, unread: 0 }, { unreadOnly: true, more: false }).some((c) => c.id === last.id),
    ).toBe(false);
  });
});

describe('screens reload only what an event concerns', () => {
  it('a message event does not reload the call log, a call event does', async () => {
    const b = new FakeBackend(demoData());
    const listCalls = vi.spyOn(b, 'listCalls');
    render(App, { backend: b });
    await fireEvent.click(await screen.findByTestId('nav-calls'));
    await waitFor(() => expect(listCalls).toHaveBeenCalledTimes(1));
    await listening(b);
    b.emit({ type: 'message_received', conversation_id: 1, message_id: 1 });
    b.emit({ type: 'message_updated', conversation_id: 1, message_id: 1, status: 'delivered' });
    b.emit({ type: 'compliance_updated', compliance_id: 1 });
    flushed();
    expect(listCalls, 'messages and compliance are not the call log').toHaveBeenCalledTimes(1);
    b.emit({ type: 'call_updated', call_sid: 'CA1' });
    flushed();
    expect(listCalls, 'the same flush shows a call event reloading it').toHaveBeenCalledTimes(2);
  });

  it('campaign progress does not reload the inbox, its thread or the badges', async () => {
    const b = new FakeBackend(demoData());
    render(App, { backend: b });
    await screen.findAllByTestId('conversation');
    await listening(b);
    await waitFor(() => expect(screen.getByTestId('unread-total')).toBeTruthy());
    const spies = [
      vi.spyOn(b, 'listConversations'),
      vi.spyOn(b, 'getConversation'),
      vi.spyOn(b, 'getThread'),
      vi.spyOn(b, 'listVoicemails'),
      vi.spyOn(b, 'unheardVoicemailCount'),
    ];
    for (let sent = 1; sent <= 20; sent++) b.emit(progress(7, sent, 20 - sent));
    b.emit({ type: 'sync_completed', messages: 0, calls: 0, voicemails: 0 });
    flushed();
    for (const s of spies) expect(s, 'nothing shown in the inbox changed').not.toHaveBeenCalled();
    b.emit({ type: 'sync_completed', messages: 1, calls: 0, voicemails: 0 });
    flushed();
    expect(spies[0], 'the same flush shows a catch-up that found a text reloading the list').toHaveBeenCalled();
  });

  it('a new message updates its conversation row and the unread badge, not the whole list', async () => {
    const b = new FakeBackend(demoData());
    render(App, { backend: b });
    await screen.findAllByTestId('conversation');
    await listening(b);
    await waitFor(() => expect(screen.getByTestId('unread-total')).toBeTruthy());
    const conv = b.d.conversations[0];
    const getConversation = vi.spyOn(b, 'getConversation');
    const listConversations = vi.spyOn(b, 'listConversations');
    const inboxCounts = vi.spyOn(b, 'inboxCounts');
    const before = Number(screen.queryByTestId('unread-total')?.textContent ?? 0);
    await b.simCustomerText(conv.customer, 'Are you open on Sunday?', false);
    await waitFor(() => expect(screen.getByText('Are you open on Sunday?')).toBeTruthy());
    expect(getConversation.mock.calls, 'one row fetched').toEqual([[conv.id]]);
    await waitFor(() => expect(Number(screen.getByTestId('unread-total').textContent)).toBe(before + 1));
    // The badge is one count over every conversation; the list shown is not reloaded.
    expect(inboxCounts).toHaveBeenCalledTimes(1);
    expect(listConversations).not.toHaveBeenCalled();
  });

  it('the inbox fetches each changed row once however many events arrive at once', async () => {
    const b = new FakeBackend(demoData());
    const hub = new EventHub();
    render(Inbox, { backend: b, bus: hub });
    await screen.findAllByTestId('conversation');
    const getConversation = vi.spyOn(b, 'getConversation');
    const [one, two] = b.d.conversations;
    hub.emit({ type: 'message_updated', conversation_id: one.id, message_id: 1, status: 'sent' });
    hub.emit({ type: 'message_updated', conversation_id: one.id, message_id: 1, status: 'delivered' });
    hub.emit({ type: 'message_received', conversation_id: two.id, message_id: 2 });
    await waitFor(() => expect(getConversation).toHaveBeenCalledWith(two.id));
    const ids = getConversation.mock.calls.map(([id]) => id);
    expect(
      ids.filter((id) => id === two.id),
      'the second customer is not lost in the burst',
    ).toHaveLength(1);
    expect(ids.filter((id) => id === one.id).length).toBeLessThanOrEqual(2);
  });

  it('bulk send shows progress from the events, without asking the core again', async () => {
    const b = new FakeBackend(demoData());
    const hub = new EventHub();
    render(BulkSend, { backend: b, bus: hub });
    await fireEvent.click(await screen.findByLabelText(/Everyone/));
    await fireEvent.click(await screen.findByText(/Send \d+ messages?/));
    await screen.findByTestId('bulk-progress');
    const asked = vi.spyOn(b, 'campaignProgress');
    hub.emit(progress(99, 5, 0));
    hub.emit(progress(1, 1, 3));
    await waitFor(() => expect(screen.getByTestId('bulk-progress').textContent).toContain('1 sent'));
    expect(screen.getByTestId('bulk-progress').textContent, 'another campaign is not this one').toContain('5 in all');
    expect(asked).not.toHaveBeenCalled();
  });
});
