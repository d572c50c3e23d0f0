// Issue 15 in the UI: one timeline per customer (texts, calls, voicemails, recordings),
// names with the number on hover, "Text back", conversation states and filters, failed
// downloads and attachment limits. Against the fake backend, which follows the core's rules.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import Inbox from '../screens/Inbox.svelte';
import Calls from '../screens/Calls.svelte';
import Voicemail from '../screens/Voicemail.svelte';
import { FakeBackend, demoData } from '../lib/fake';
import { EventHub } from '../lib/events';
import { compare, prependOlder, refreshNewest, type Shown } from '../lib/timeline';
import { attachmentProblem } from '../lib/attachments';
import type { CallRecording, Item, Message } from '../lib/types';

/** Opens the conversation whose row shows `name`. */
async function open(name: string) {
  const rows = await screen.findAllByTestId('conversation');
  const row = rows.find((r) => r.textContent?.includes(name));
  if (!row) throw new Error(`no conversation with ${name}`);
  await fireEvent.click(row.querySelector('button')!);
  await waitFor(() => expect(screen.getByTestId('thread-title').textContent).toBe(name));
}

/** The kinds of the thread's rows, top to bottom. */
function rowKinds(): string[] {
  const thread = screen.getByTestId('thread');
  return [
    ...thread.querySelectorAll(
      '[data-testid="message"], [data-testid="timeline-call"], [data-testid="timeline-voicemail"]',
    ),
  ].map((e) => e.getAttribute('data-testid')!);
}

const recording = (over: Partial<CallRecording> = {}): CallRecording => ({
  id: 7,
  recording_sid: 'RE7',
  call_sid: 'CA1',
  source: 'DialVerb',
  duration: 74,
  path: 'media/re7.wav',
  content_type: 'audio/wav',
  bytes: 1000,
  download: 'downloaded',
  download_error: null,
  twilio_deleted: false,
  created_at: new Date().toISOString(),
  ...over,
});

describe('the timeline helpers', () => {
  const msg = (id: number, at: string) => ({ kind: 'message', id, created_at: at }) as unknown as Item;
  const call = (id: number, at: string) => ({ kind: 'call', id, created_at: at }) as unknown as Item;

  it('orders as the core does: time, then a call before its voicemail before a text', () => {
    expect(compare({ at: 'b', kind: 'call', id: 9 }, { at: 'a', kind: 'message', id: 1 })).toBeGreaterThan(0);
    expect(compare({ at: 'a', kind: 'call', id: 9 }, { at: 'a', kind: 'voicemail', id: 1 })).toBeLessThan(0);
    expect(compare({ at: 'a', kind: 'message', id: 2 }, { at: 'a', kind: 'message', id: 3 })).toBeLessThan(0);
  });

  it('keeps the older pages shown when the newest page is loaded again, and never repeats a row', () => {
    const shown: Shown = {
      items: [msg(1, 'a'), call(1, 'b'), msg(2, 'c'), msg(3, 'd')],
      before: { at: 'a', kind: 'message', id: 1 },
    };
    const fresh = { items: [msg(3, 'd'), msg(4, 'e')], before: { at: 'd', kind: 'message' as const, id: 3 } };
    const after = refreshNewest(fresh, shown);
    expect(after.items.map((i) => `${i.kind}${i.id}`)).toEqual([
      'message1',
      'call1',
      'message2',
      'message3',
      'message4',
    ]);
    expect(after.before, 'the next older page still starts before the oldest row shown').toEqual(shown.before);
    const whole = refreshNewest({ items: [msg(4, 'e')], before: null }, shown);
    expect(whole.items, 'a fresh page that is the whole conversation replaces everything').toHaveLength(1);
    const older = prependOlder({ items: [msg(0, '0'), msg(1, 'a')], before: null }, shown);
    expect(older.items.map((i) => i.id)).toEqual([0, 1, 1, 2, 3]);
    expect(older.items.filter((i) => i.kind === 'message' && i.id === 1)).toHaveLength(1);
  });

  it('says which attachment limit is passed, before Send', () => {
    const f = (bytes: number) => ({ token: 't', name: 'x.pdf', path: '/x.pdf', bytes });
    expect(attachmentProblem([f(2_000_000), f(2_000_000)])).toBeNull();
    expect(attachmentProblem([f(2_000_000), f(2_000_000), f(2_000_000)])).toMatch(/5\.7 MB.*at most 5\.0 MB in all/);
    expect(attachmentProblem(Array.from({ length: 11 }, () => f(10)))).toMatch(/11 attachments.*at most 10.*Remove 1/);
  });
});

describe('a customer\u2019s timeline', () => {
  it('shows texts, calls and voicemails in time order, with the transcript and the caller\u2019s name', async () => {
    render(Inbox, { backend: new FakeBackend(demoData()) });
    await open('Priya Shah');
    await waitFor(() => expect(screen.getAllByTestId('timeline-call')).toHaveLength(2));
    // Texts 26 h ago, the missed call and its voicemail 20 h ago, our call back 19 h ago.
    expect(rowKinds()).toEqual(['message', 'message', 'timeline-call', 'timeline-voicemail', 'timeline-call']);
    const [missed, outgoing] = screen.getAllByTestId('timeline-call');
    expect(missed.textContent).toContain('Missed call');
    expect(missed.getAttribute('data-outcome')).toBe('missed');
    expect(outgoing.textContent).toContain('You called');
    expect(outgoing.textContent).toContain('0:45');
    expect(screen.getByTestId('timeline-transcript').textContent).toContain('birthday order');
    expect(screen.getByTestId('thread-title').getAttribute('title'), 'the number on hover').toBe('+61 412 345 680');
  });

  it('shows a forwarded call with its recording, played only when asked', async () => {
    const d = demoData();
    d.calls[0].recordings = [recording()];
    const b = new FakeBackend(d);
    render(Inbox, { backend: b });
    await open('Maria Rossi');
    const call = await screen.findByTestId('timeline-call');
    expect(call.textContent).toContain('Answered on +61 412 000 111');
    expect(call.textContent).toContain('1:14');
    expect(within(call).getByTestId('timeline-recording').textContent).toContain('Call recording');
    expect(within(call).queryByTestId('player'), 'no audio read until the owner asks').toBeNull();
    await fireEvent.click(within(call).getByTestId('listen'));
    expect(await within(call).findByTestId('player')).toBeTruthy();
  });

  it('says where a transcript stands: pending, too long for Twilio, or failed', async () => {
    for (const [state, words] of [
      ['pending', /Transcript pending/],
      ['too_long', /Too long for Twilio/],
      ['failed', /No transcript/],
    ] as const) {
      const d = demoData();
      Object.assign(d.voicemails[0], { transcription: null, transcript_state: state });
      const { unmount } = render(Inbox, { backend: new FakeBackend(d) });
      await open('Priya Shah');
      const vm = await screen.findByTestId('timeline-voicemail');
      expect(vm.getAttribute('data-transcript')).toBe(state);
      expect(within(vm).getByTestId('timeline-transcript').textContent).toMatch(words);
      unmount();
    }
  });

  it('pages back through a long timeline without repeating or losing a row', async () => {
    const b = new FakeBackend(demoData());
    b.timelinePage = 2;
    render(Inbox, { backend: b });
    await open('Priya Shah');
    await waitFor(() => expect(rowKinds()).toEqual(['timeline-voicemail', 'timeline-call']));
    await fireEvent.click(screen.getByTestId('timeline-older'));
    await waitFor(() =>
      expect(rowKinds()).toEqual(['message', 'timeline-call', 'timeline-voicemail', 'timeline-call']),
    );
    await fireEvent.click(screen.getByTestId('timeline-older'));
    await waitFor(() => expect(rowKinds()).toHaveLength(5));
    expect(screen.queryByTestId('timeline-older'), 'the beginning of the conversation').toBeNull();
  });

  it('reloads when a call or a voicemail event arrives', async () => {
    const d = demoData();
    const b = new FakeBackend(d);
    const bus = new EventHub();
    render(Inbox, { backend: b, bus });
    await open('Maria Rossi');
    await screen.findByTestId('timeline-call');
    d.voicemails.push({ ...d.voicemails[0], id: 2, from: '+61412345678', created_at: new Date().toISOString() });
    bus.emit({ type: 'voicemail_updated', voicemail_id: 2 });
    expect(await screen.findByTestId('timeline-voicemail')).toBeTruthy();
  });

  it('"Text back" on a missed call puts the cursor in this thread\u2019s composer', async () => {
    const b = new FakeBackend(demoData());
    render(Inbox, { backend: b });
    await open('Priya Shah');
    const missed = (await screen.findAllByTestId('timeline-call'))[0];
    expect(
      within(screen.getAllByTestId('timeline-call')[1]).queryByTestId('text-back'),
      'only on a missed call',
    ).toBeNull();
    await fireEvent.click(within(missed).getByTestId('text-back'));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('composer')));
    expect(b.calls.find((c) => c.method === 'textBack')?.args).toEqual([{ call: 2 }]);
  });
});

describe('failed downloads', () => {
  it('show the reason and a Retry, never "Downloading…" for ever', async () => {
    const d = demoData();
    const m = d.messages[3] as Message;
    m.media = [
      {
        id: 5,
        idx: 0,
        content_type: 'application/pdf',
        path: null,
        sha256: null,
        bytes: null,
        download_error: 'the file is larger than 50 MB',
        download_failed: true,
      },
    ];
    const b = new FakeBackend(d);
    render(Inbox, { backend: b });
    await open('Maria Rossi');
    const failed = await screen.findByTestId('download-failed');
    expect(failed.textContent).toContain('the file is larger than 50 MB');
    expect(screen.queryByTestId('downloading')).toBeNull();
    await fireEvent.click(within(failed).getByTestId('retry-download'));
    await waitFor(() => expect(b.calls.find((c) => c.method === 'retryDownload')?.args).toEqual([{ media: 5 }]));
    expect(await screen.findByTestId('downloading'), 'queued again').toBeTruthy();
  });

  it('a voicemail and a call recording retry their own download', async () => {
    const d = demoData();
    Object.assign(d.voicemails[0], { path: null, download_error: 'Twilio answered 404', download_failed: true });
    d.calls[2].recordings = [recording({ id: 8, path: null, download: 'failed', download_error: 'timed out' })];
    const b = new FakeBackend(d);
    render(Inbox, { backend: b });
    await open('Priya Shah');
    const vm = await screen.findByTestId('timeline-voicemail');
    expect(within(vm).getByTestId('download-failed').textContent).toContain('Twilio answered 404');
    await fireEvent.click(within(vm).getByTestId('retry-download'));
    const rec = screen.getByTestId('timeline-recording');
    expect(rec.textContent).toContain('timed out');
    await fireEvent.click(within(rec).getByTestId('retry-download'));
    await waitFor(() =>
      expect(b.calls.filter((c) => c.method === 'retryDownload').map((c) => c.args[0])).toEqual([
        { voicemail: 1 },
        { recording: 8 },
      ]),
    );
  });
});

describe('conversation states', () => {
  it('Done moves a conversation from Open to Done, Reopen brings it back; the counts and badge follow', async () => {
    const b = new FakeBackend(demoData());
    let badge = 0;
    render(Inbox, { backend: b, onread: () => (badge += 1) });
    await fireEvent.click(await screen.findByTestId('filter-open'));
    await waitFor(() => expect(screen.getByTestId('filter-open').textContent).toContain('3'));
    await open('Maria Rossi');
    const before = badge;
    await fireEvent.click(screen.getByTestId('mark-done'));
    await waitFor(() => expect(screen.getAllByTestId('conversation')).toHaveLength(2));
    expect(b.d.conversations[0].state).toBe('done');
    expect(b.d.conversations[0].unread, 'done also marks it read').toBe(0);
    expect(badge, 'the unread badge is refreshed').toBeGreaterThan(before);
    await waitFor(() => expect(screen.getByTestId('filter-done').textContent).toContain('1'));
    expect(screen.getByTestId('state-done')).toBeTruthy();

    await fireEvent.click(screen.getByTestId('filter-done'));
    await waitFor(() => expect(screen.getAllByTestId('conversation')).toHaveLength(1));
    await fireEvent.click(screen.getByTestId('reopen'));
    await waitFor(() => expect(screen.queryAllByTestId('conversation')).toHaveLength(0));
    expect(b.d.conversations[0].state).toBe('open');
  });

  it('a new message in a done conversation moves it back to Open in the list', async () => {
    const d = demoData();
    d.conversations[1].state = 'done';
    const b = new FakeBackend(d);
    const bus = new EventHub();
    render(Inbox, { backend: b, bus });
    await fireEvent.click(await screen.findByTestId('filter-done'));
    await waitFor(() => expect(screen.getAllByTestId('conversation')).toHaveLength(1));
    // The core reopens it when the customer writes again.
    d.conversations[1].state = 'open';
    bus.emit({ type: 'message_received', conversation_id: 2, message_id: 50 });
    await waitFor(() => expect(screen.queryAllByTestId('conversation')).toHaveLength(0));
  });

  it('Mark unread keeps it unread and refreshes the badge', async () => {
    const b = new FakeBackend(demoData());
    let badge = 0;
    render(Inbox, { backend: b, onread: () => (badge += 1) });
    await open('Priya Shah');
    const before = badge;
    await fireEvent.click(screen.getByTestId('mark-unread'));
    await waitFor(() => expect(b.d.conversations[1].unread).toBe(1));
    expect(badge).toBeGreaterThan(before);
    await fireEvent.click(screen.getByTestId('filter-unread'));
    await waitFor(() =>
      expect(screen.getAllByTestId('conversation').map((c) => c.textContent)).toContainEqual(
        expect.stringContaining('Priya Shah'),
      ),
    );
  });
});

describe('names where numbers were', () => {
  it('the call log shows the contact\u2019s name, with the number on hover, and texts back a missed call', async () => {
    const b = new FakeBackend(demoData());
    let opened: number | null = null;
    render(Calls, { backend: b, ontextback: (id: number) => (opened = id) });
    const rows = await screen.findAllByTestId('call');
    const who = within(rows[0]).getByTestId('who');
    expect(who.textContent).toBe('Maria Rossi');
    expect(who.getAttribute('title')).toBe('+61 412 345 678');
    expect(within(rows[0]).queryByTestId('call-text-back'), 'an answered call has none').toBeNull();
    const missed = rows.find((r) => r.textContent?.includes('Missed') || r.textContent?.includes('Voicemail'))!;
    await fireEvent.click(within(missed).getByTestId('call-text-back'));
    await waitFor(() => expect(opened).toBe(2), { timeout: 2000 });
  });

  it('the voicemail list shows the caller\u2019s name and texts back', async () => {
    const d = demoData();
    d.voicemails[0].contact_name = 'Priya Shah';
    let opened: number | null = null;
    render(Voicemail, { backend: new FakeBackend(d), ontextback: (id: number) => (opened = id) });
    const item = await screen.findByTestId('voicemail');
    expect(within(item).getByTestId('who').textContent).toBe('Priya Shah');
    expect(within(item).getByTestId('who').getAttribute('title')).toBe('+61 412 345 680');
    await fireEvent.click(item);
    await fireEvent.click(await screen.findByTestId('voicemail-text-back'));
    await waitFor(() => expect(opened).toBe(2));
  });

  it('search results show the name with the number on hover', async () => {
    render(Inbox, { backend: new FakeBackend(demoData()) });
    await screen.findAllByTestId('conversation');
    await fireEvent.input(screen.getByTestId('search'), { target: { value: 'chocolate' } });
    const who = within(await screen.findByTestId('search-hit')).getByTestId('who');
    expect([who.textContent, who.getAttribute('title')]).toEqual(['Maria Rossi', '+61 412 345 678']);
  });

  it('"Text back" in the Calls screen opens the thread in the inbox with the composer focused', async () => {
    render(App, { backend: new FakeBackend(demoData()) });
    await screen.findAllByTestId('conversation');
    await fireEvent.click(screen.getByTestId('nav-calls'));
    const missed = (await screen.findAllByTestId('call')).find((r) => within(r).queryByTestId('call-text-back'))!;
    await fireEvent.click(within(missed).getByTestId('call-text-back'));
    await waitFor(() => expect(screen.getByTestId('thread-title').textContent).toBe('Priya Shah'));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('composer')));
  });
});

describe('attachments', () => {
  it('refuses more than 5 MB in one message before Send, in words', async () => {
    const b = new FakeBackend(demoData());
    b.attachmentsToPick = [
      { path: '/home/owner/menu.pdf', bytes: 2_000_000 },
      { path: '/home/owner/card.vcf', bytes: 2_000 },
      { path: '/home/owner/clip.mp4', bytes: 4_000_000 },
    ];
    render(Inbox, { backend: b });
    await open('Maria Rossi');
    await fireEvent.click(screen.getByTestId('attach'));
    expect((await screen.findByTestId('attachment-limit')).textContent).toMatch(/at most 5\.0 MB in all/);
    expect(screen.getByTestId('send')).toHaveProperty('disabled', true);
    await fireEvent.click(screen.getAllByLabelText('Remove attachment')[2]);
    expect(screen.queryByTestId('attachment-limit')).toBeNull();
    expect(screen.getByTestId('attachment-total').textContent).toMatch(/2 of 10 files, 1\.9 MB of 5\.0 MB/);
    await fireEvent.click(screen.getByTestId('send'));
    await waitFor(() =>
      expect((b.calls.find((c) => c.method === 'sendMessage')?.args[0] as { media: string[] }).media).toHaveLength(2),
    );
  });

  it('refuses an eleventh file before Send instead of dropping it quietly', async () => {
    const b = new FakeBackend(demoData());
    b.attachmentsToPick = Array.from({ length: 11 }, (_, i) => ({ path: `/home/owner/p${i}.jpg`, bytes: 1000 }));
    render(Inbox, { backend: b });
    await open('Maria Rossi');
    await fireEvent.click(screen.getByTestId('attach'));
    expect((await screen.findByTestId('attachment-limit')).textContent).toMatch(/11 attachments/);
    expect(screen.getAllByLabelText('Remove attachment')).toHaveLength(11);
    expect(screen.getByTestId('send')).toHaveProperty('disabled', true);
  });
});
