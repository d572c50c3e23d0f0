// "Send later": the picker states and enforces Twilio's bounds (15 minutes to 35 days), the
// composer schedules instead of sending, a scheduled message in the thread offers Edit and
// Cancel, the list shows what is going out, and bulk send schedules for everyone.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import { BOUNDS_TEXT, fromLocalInput, toLocalInput, whyNot } from '../lib/schedule';
import Composer from '../components/Composer.svelte';
import MessageBubble from '../components/MessageBubble.svelte';
import ScheduledList from '../components/ScheduledList.svelte';
import BulkSendLater from '../components/BulkSendLater.svelte';

afterEach(cleanup);

const inMinutes = (n: number) => toLocalInput(new Date(Date.now() + n * 60_000));

describe('the bounds', () => {
  it('refuses too soon and too far ahead, in plain words', () => {
    expect(whyNot(inMinutes(5))).toContain('at least 15 minutes');
    expect(whyNot(inMinutes(60 * 24 * 36))).toContain('within 35 days');
    expect(whyNot(inMinutes(120))).toBeNull();
    expect(whyNot('')).toBe('Choose a date and time.');
  });

  it('sends the local time with its offset', () => {
    const iso = fromLocalInput('2026-12-01T09:00')!;
    expect(iso).toMatch(/^2026-12-01T09:00:00[+-]\d\d:\d\d$/);
    expect(new Date(iso).getTime()).toBe(new Date('2026-12-01T09:00').getTime());
  });
});

describe('Send later in the composer', () => {
  it('says what the bounds are, refuses a time too soon, and schedules the text', async () => {
    const data = demoData();
    const b = new FakeBackend(data);
    const conversation = data.conversations[0];
    let sent = 0;
    render(Composer, { backend: b, conversation, channel: 'sms', onchannel: () => {}, onsent: () => (sent += 1) });
    await fireEvent.input(screen.getByTestId('composer'), { target: { value: 'See you at 9' } });
    await fireEvent.click(screen.getByTestId('send-later'));
    expect(screen.getByTestId('send-later-bounds').textContent).toBe(BOUNDS_TEXT);
    const at = screen.getByTestId('send-later-at') as HTMLInputElement;
    await fireEvent.input(at, { target: { value: inMinutes(5) } });
    expect(screen.getByTestId('send-later-problem').textContent).toContain('too soon');
    expect((screen.getByTestId('send-later-confirm') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(at, { target: { value: inMinutes(90) } });
    await fireEvent.click(screen.getByTestId('send-later-confirm'));
    await waitFor(() => expect(sent).toBe(1));
    const call = b.calls.find((c) => c.method === 'scheduleMessage')!;
    expect(call.args.slice(0, 2)).toEqual([conversation.id, 'See you at 9']);
    expect(b.called('sendMessage'), 'nothing is sent now').toBe(false);
    const [m] = await b.listScheduled();
    expect(m.status).toBe('scheduled');
  });
});

describe('a scheduled message in the thread', () => {
  async function scheduled() {
    const data = demoData();
    const b = new FakeBackend(data);
    const when = new Date(Date.now() + 2 * 3600_000).toISOString();
    const m = await b.scheduleMessage(data.conversations[0].id, 'Flu shots this week', when);
    return { b, m };
  }

  it('shows when it goes out, and cancels after asking', async () => {
    const { b, m } = await scheduled();
    let changed = 0;
    render(MessageBubble, { backend: b, message: m, onretried: () => (changed += 1) });
    expect(screen.getByTestId('scheduled-when').textContent).toContain('Scheduled for');
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel it' }));
    await waitFor(() => expect(changed).toBe(1));
    expect(await b.listScheduled()).toEqual([]);
  });

  it('edits the text and time; a refusal is shown', async () => {
    const { b, m } = await scheduled();
    let changed = 0;
    render(MessageBubble, { backend: b, message: m, onretried: () => (changed += 1) });
    await fireEvent.click(screen.getByTestId('scheduled-edit'));
    await fireEvent.input(screen.getByTestId('scheduled-text'), { target: { value: 'Flu shots next week' } });
    await fireEvent.input(screen.getByTestId('send-later-at'), { target: { value: inMinutes(300) } });
    await fireEvent.click(screen.getByTestId('send-later-confirm'));
    await waitFor(() => expect(changed).toBe(1));
    const [now] = await b.listScheduled();
    expect(now.body).toBe('Flu shots next week');
    // The old bubble, edited already: the backend refuses, the bubble says why.
    await fireEvent.click(screen.getByTestId('scheduled-edit'));
    await fireEvent.click(screen.getByTestId('send-later-confirm'));
    expect((await screen.findByTestId('scheduled-error')).textContent).toContain('only a message still scheduled');
  });

  it('offers neither Edit nor Cancel once sent', () => {
    const data = demoData();
    const m = data.messages.find((x) => x.direction === 'outbound')!;
    render(MessageBubble, { backend: new FakeBackend(data), message: { ...m, send_at: '2026-11-20T10:00:00Z' } });
    expect(screen.queryByTestId('scheduled-actions')).toBeNull();
  });
});

describe('the list of scheduled messages', () => {
  it('lists what is going out, soonest first, and says when nothing is', async () => {
    const data = demoData();
    const b = new FakeBackend(data);
    render(ScheduledList, { backend: b });
    expect(await screen.findByText(/Nothing is scheduled/)).toBeTruthy();
    cleanup();
    const c = data.conversations[0].id;
    await b.scheduleMessage(c, 'later', new Date(Date.now() + 5 * 3600_000).toISOString());
    await b.scheduleMessage(c, 'sooner', new Date(Date.now() + 1 * 3600_000).toISOString());
    render(ScheduledList, { backend: b });
    await waitFor(() => expect(screen.getAllByTestId('scheduled-item')).toHaveLength(2));
    expect(screen.getAllByTestId('scheduled-item').map((li) => li.textContent)).toEqual([
      expect.stringContaining('sooner'),
      expect.stringContaining('later'),
    ]);
  });
});

describe('Send later in bulk send', () => {
  it('schedules the same choice for everyone at the time chosen', async () => {
    const data = demoData();
    const b = new FakeBackend(data);
    const template = data.templates[0];
    let started = 0;
    render(BulkSendLater, {
      backend: b,
      request: () => ({
        numberId: data.numbers[0].id,
        choice: { template_id: template.id, contact_ids: [data.contacts[0].id], vars: {}, per_contact: {} },
      }),
      onstarted: () => (started += 1),
    });
    await fireEvent.click(screen.getByTestId('bulk-send-later'));
    expect(screen.getByTestId('send-later-bounds').textContent).toContain('15 minutes to 35 days');
    await fireEvent.input(screen.getByTestId('send-later-at'), { target: { value: inMinutes(120) } });
    await fireEvent.click(screen.getByTestId('send-later-confirm'));
    await waitFor(() => expect(started).toBe(1));
    const call = b.calls.find((c) => c.method === 'startBulkLater')!;
    expect(call.args[0]).toBe(data.numbers[0].id);
    expect(call.args[1]).toMatchObject({ template_id: template.id, contact_ids: [data.contacts[0].id] });
  });
});
