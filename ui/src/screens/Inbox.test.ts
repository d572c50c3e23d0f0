import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { EventHub } from '../lib/events';
import Inbox from './Inbox.svelte';
import { FakeBackend, demoData } from '../lib/fake';
import { openInbox } from '../test/support';

const XSS_IMG = '<img src=x onerror="window.__xss=1">';
const XSS_SCRIPT = '<script>window.__xss=2</script>';

function hostile(): FakeBackend {
  const d = demoData();
  d.conversations[0].last_preview = XSS_IMG;
  d.conversations[0].contact_name = '<b>Maria</b>';
  d.messages[2].body = XSS_IMG;
  d.messages[3].body = XSS_SCRIPT;
  return new FakeBackend(d);
}

describe('Inbox', () => {
  it('a status or price update never brings in a conversation the list leaves out (a blocked number)', async () => {
    const b = new FakeBackend(demoData());
    const all = await b.listConversations();
    const hidden = all[all.length - 1];
    // As the core's list leaves out a blocked number's conversation.
    const list = b.listConversations.bind(b);
    b.listConversations = async (opts) => (await list(opts)).filter((c) => c.id !== hidden.id);
    const asked = vi.spyOn(b, 'getConversation');
    const bus = new EventHub();
    render(Inbox, { backend: b, bus });
    await waitFor(() => expect(screen.getAllByTestId('conversation')).toHaveLength(all.length - 1));
    bus.emit({ type: 'message_updated', conversation_id: hidden.id, message_id: 1, status: 'delivered' });
    // A shown conversation's update is fetched (the positive marker that events are handled).
    bus.emit({ type: 'message_updated', conversation_id: all[0].id, message_id: 1, status: 'delivered' });
    await waitFor(() => expect(asked).toHaveBeenCalledWith(all[0].id));
    expect(asked).not.toHaveBeenCalledWith(hidden.id);
    expect(screen.getAllByTestId('conversation')).toHaveLength(all.length - 1);
  });

  it('lists conversations with name, number, preview, unread count and opted-out badge', async () => {
    render(Inbox, { backend: new FakeBackend(demoData()) });
    const items = await screen.findAllByTestId('conversation');
    expect(items).toHaveLength(3);
    expect(items[0].textContent).toContain('Maria Rossi');
    expect(items[0].textContent).toContain('+61 412 345 678');
    expect(within(items[0]).getByTestId('unread').textContent).toBe('2');
    expect(items[2].textContent, 'Tom replied STOP').toContain('Opted out');
  });

  it('renders inbound text as text, never as HTML, in the list and the thread', async () => {
    const { container } = render(Inbox, { backend: hostile() });
    expect(await screen.findByText(XSS_IMG)).toBeTruthy();
    expect(screen.getByText('<b>Maria</b>')).toBeTruthy();
    await fireEvent.click(screen.getAllByTestId('conversation')[0].querySelector('button')!);
    await screen.findAllByTestId('message');
    const bodies = screen.getAllByTestId('message-body').map((b) => b.textContent);
    expect(bodies).toContain(XSS_IMG);
    expect(bodies).toContain(XSS_SCRIPT);
    expect(container.querySelector('img'), 'no <img> may be created from a message').toBeNull();
    expect(container.querySelector('script'), 'no <script> may be created from a message').toBeNull();
    expect(container.querySelector('b'), 'no markup from a contact name').toBeNull();
    expect((window as any).__xss).toBeUndefined();
  });

  it('opens a thread: marks it read, shows date separators, delivery status and the explained error', async () => {
    const d = demoData();
    const at = (daysAgo: number, h: number) => {
      const t = new Date();
      t.setDate(t.getDate() - daysAgo);
      t.setHours(h, 0, 30, 0);
      return t.toISOString();
    };
    [at(1, 9), at(1, 10), at(0, 0), at(0, 0)].forEach((iso, i) => (d.messages[i].created_at = iso));
    const b = new FakeBackend(d);
    render(Inbox, { backend: b });
    const items = await screen.findAllByTestId('conversation');
    await fireEvent.click(items[0].querySelector('button')!);
    expect(await screen.findByTestId('thread-title')).toHaveProperty('textContent', 'Maria Rossi');
    expect(screen.getAllByRole('separator').map((s) => s.textContent)).toEqual(['Yesterday', 'Today']);
    expect(b.d.conversations[0].unread, 'opening a conversation marks it read').toBe(0);
    await fireEvent.click(items[2].querySelector('button')!);
    const status = await screen.findByText(/destination handset was unreachable/);
    expect(status.textContent).toContain('30003');
    expect(screen.getByTestId('opted-out-note')).toBeTruthy();
    expect(screen.queryByTestId('composer'), 'no composer for an opted-out customer').toBeNull();
  });

  it('offers GSM-7 look-alikes for smart quotes and dashes, and applies them in one click', async () => {
    await openInbox(new FakeBackend(demoData()));
    const box = (await screen.findByTestId('composer')) as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: 'We’re open 9–5 “today”' } });
    expect(screen.getByTestId('segment-meter').textContent).toMatch(/UCS-2 · 1 segment/);
    await fireEvent.click(screen.getByTestId('gsm-lookalikes'));
    expect(box.value).toBe('We\'re open 9-5 "today"');
    expect(screen.getByTestId('segment-meter').textContent).toMatch(/GSM-7 · 1 segment/);
    expect(screen.queryByTestId('gsm-lookalikes')).toBeNull();
  });

  it('lets the owner opt a number back in, and out again, only after confirming', async () => {
    const b = new FakeBackend(demoData());
    render(Inbox, { backend: b });
    const items = await screen.findAllByTestId('conversation');
    await fireEvent.click(items[2].querySelector('button')!);
    expect(await screen.findByTestId('thread-opted-out')).toBeTruthy();
    const control = screen.getByTestId('opt-control');
    await fireEvent.click(within(control).getByText('Opt back in…'));
    expect(
      b.calls.filter((c) => c.method === 'setOptOut'),
      'nothing changes before the confirmation',
    ).toHaveLength(0);
    expect(within(control).getByRole('alertdialog').textContent).toContain('Only if they asked you to');
    await fireEvent.click(within(control).getByTestId('confirm'));
    await waitFor(() => expect(b.calls.filter((c) => c.method === 'setOptOut')).toHaveLength(1));
    expect(b.calls.find((c) => c.method === 'setOptOut')?.args).toEqual(['+61412345679', false]);
    expect(await screen.findByTestId('composer'), 'opted back in: the composer is back').toBeTruthy();
    expect(screen.queryByTestId('thread-opted-out')).toBeNull();
    await fireEvent.click(within(screen.getByTestId('opt-control')).getByText('Opt out…'));
    await fireEvent.click(within(screen.getByTestId('opt-control')).getByText('Cancel'));
    expect(
      b.calls.filter((c) => c.method === 'setOptOut'),
      'Cancel changes nothing',
    ).toHaveLength(1);
    await fireEvent.click(within(screen.getByTestId('opt-control')).getByText('Opt out…'));
    await fireEvent.click(within(screen.getByTestId('opt-control')).getByTestId('confirm'));
    expect(await screen.findByTestId('opted-out-note')).toBeTruthy();
    expect(b.calls.filter((c) => c.method === 'setOptOut').pop()?.args).toEqual(['+61412345679', true]);
  });

  it('sends with Enter, keeps Shift+Enter for new lines, and shows the segment meter', async () => {
    const b = new FakeBackend(demoData());
    await openInbox(b);
    const box = (await screen.findByTestId('composer')) as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: 'See you at 4 😀' } });
    expect(screen.getByTestId('segment-meter').textContent).toMatch(/UCS-2 · 1 segment/);
    expect(screen.getByTestId('segment-meter').textContent).toContain('😀');
    await fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(b.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(0);
    await fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(b.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1));
    expect(b.calls[0].args[0]).toMatchObject({ conversationId: 1, body: 'See you at 4 😀', channel: 'sms' });
    expect(await screen.findByText('See you at 4 😀')).toBeTruthy();
    expect(box.value, 'the composer is cleared after sending').toBe('');
  });

  it('shows why a send failed', async () => {
    const b = new FakeBackend(demoData());
    b.sendMessage = async () => {
      throw { code: 'twilio', message: 'Twilio refused: the number is not SMS-capable (error 21606)' };
    };
    await openInbox(b);
    const box = await screen.findByTestId('composer');
    await fireEvent.input(box, { target: { value: 'hi' } });
    await fireEvent.keyDown(box, { key: 'Enter', ctrlKey: true });
    expect((await screen.findByTestId('send-error')).textContent).toContain('21606');
  });

  it('shows why the reply channel could not be saved', async () => {
    const b = new FakeBackend(demoData());
    b.setReplyChannel = async () => {
      throw { code: 'database', message: 'database error: disk I/O error' };
    };
    await openInbox(b);
    await fireEvent.click(await screen.findByRole('radio', { name: 'Email' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/disk I\/O error/);
  });

  it('inserts a template with its variables filled in', async () => {
    await openInbox(new FakeBackend(demoData()));
    await fireEvent.click(await screen.findByText('Templates'));
    await fireEvent.click(await screen.findByText('Order ready'));
    await fireEvent.click(screen.getByText('Insert'));
    expect((screen.getByTestId('composer') as HTMLTextAreaElement).value).toBe(
      'Hi Maria, your order is ready for pickup. See you soon!',
    );
  });

  it('moves through conversations with the arrow keys', async () => {
    render(Inbox, { backend: new FakeBackend(demoData()) });
    const items = await screen.findAllByTestId('conversation');
    const list = items[0].parentElement!;
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    expect((await screen.findByTestId('thread-title')).textContent).toBe('Maria Rossi');
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('thread-title').textContent).toBe('Priya Shah'));
    await fireEvent.keyDown(list, { key: 'ArrowUp' });
    await waitFor(() => expect(screen.getByTestId('thread-title').textContent).toBe('Maria Rossi'));
  });

  it('filters unread and searches message text', async () => {
    render(Inbox, { backend: new FakeBackend(demoData()) });
    await screen.findAllByTestId('conversation');
    await fireEvent.click(screen.getByTestId('filter-unread'));
    await waitFor(() => expect(screen.getAllByTestId('conversation')).toHaveLength(1));
    await fireEvent.input(screen.getByTestId('search'), { target: { value: 'chocolate' } });
    const hit = await screen.findByTestId('search-hit');
    expect(hit.querySelector('mark')?.textContent).toBe('chocolate');
    await fireEvent.click(hit);
    expect((await screen.findByTestId('thread-title')).textContent).toBe('Maria Rossi');
  });

  it('keeps the open thread and its draft when the customer writes again under Unread', async () => {
    const b = new FakeBackend(demoData());
    const hub = new EventHub();
    await b.onEvent((e) => hub.emit(e));
    render(Inbox, { backend: b, bus: hub });
    await screen.findAllByTestId('conversation');
    await fireEvent.click(screen.getByTestId('filter-unread'));
    await waitFor(() => expect(screen.getAllByTestId('conversation')).toHaveLength(1));
    await fireEvent.click(screen.getAllByTestId('conversation')[0].querySelector('button')!);
    const title = (await screen.findByTestId('thread-title')).textContent;
    const box = screen.getByTestId('composer') as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: 'Yes, we open at 9' } });
    const conv = b.d.conversations.find((c) => c.unread === 0 && title?.includes(c.contact_name || c.customer))!;
    const asked = vi.spyOn(b, 'getConversation');
    await b.simCustomerText(conv.customer, 'Are you open tomorrow?', false);
    // Read at once (it is open), so it leaves the Unread list; the thread stays.
    await waitFor(() => expect(asked).toHaveBeenCalledWith(conv.id));
    await waitFor(() => expect(screen.queryAllByTestId('conversation')).toHaveLength(0));
    expect(screen.getByTestId('thread-title').textContent).toBe(title);
    expect((screen.getByTestId('composer') as HTMLTextAreaElement).value).toBe('Yes, we open at 9');
  });

  it('shows links as text that opens only on click, through the system browser', async () => {
    const d = demoData();
    d.messages[3].body = 'menu: https://example.com/menu?x=<y>';
    const b = new FakeBackend(d);
    const { container } = await openInbox(b);
    const link = await screen.findByText('https://example.com/menu?x=');
    expect(container.querySelector('a'), 'no anchors: nothing navigates the webview').toBeNull();
    expect(b.called('openExternal')).toBe(false);
    await fireEvent.click(link);
    expect(b.calls.find((c) => c.method === 'openExternal')?.args).toEqual(['https://example.com/menu?x=']);
  });

  /** The demo inbox plus 120 older conversations (ids 100–219, 219 the oldest). */
  function bigInbox() {
    const d = demoData();
    const template = d.conversations[1];
    for (let i = 0; i < 120; i++) {
      const at = new Date(Date.UTC(2026, 0, 1) - i * 3600_000).toISOString();
      d.conversations.push({
        ...template,
        id: 100 + i,
        customer: `+6141255${String(i).padStart(4, '0')}`,
        contact_id: null,
        contact_name: `Customer ${i}`,
        last_message_at: at,
        last_preview: `order ${i}`,
        unread: 0,
      });
    }
    d.messages.push({
      ...d.messages[0],
      id: 999,
      conversation_id: 219,
      body: 'the blue birthday cake',
      created_at: '2025-12-27T00:00:00Z',
    });
    return d;
  }

  it('pages in older conversations and keeps them on a refresh', async () => {
    const d = bigInbox();
    const template = d.conversations[1];
    const b = new FakeBackend(d);
    const { rerender } = render(Inbox, { backend: b, tick: 0 });
    expect(await screen.findAllByTestId('conversation')).toHaveLength(50);
    await fireEvent.click(screen.getByTestId('older-conversations'));
    await waitFor(() => expect(screen.getAllByTestId('conversation')).toHaveLength(100));
    // A text from someone new arrives: the first page is reloaded, the older pages stay.
    d.conversations.push({
      ...template,
      id: 500,
      customer: '+61412999111',
      contact_id: null,
      contact_name: 'Newcomer',
      last_message_at: new Date().toISOString(),
      unread: 1,
    });
    await rerender({ backend: b, tick: 1 });
    await waitFor(() => expect(screen.getAllByTestId('conversation')[0].textContent).toContain('Newcomer'));
    expect(screen.getAllByTestId('conversation'), 'a refresh keeps what was paged in').toHaveLength(101);
    await fireEvent.click(screen.getByTestId('older-conversations'));
    await waitFor(() => expect(screen.getAllByTestId('conversation')).toHaveLength(124));
    expect(screen.queryByTestId('older-conversations'), 'the end of the list').toBeNull();
  });

  it('opens a conversation found by search that is on no page loaded yet', async () => {
    render(Inbox, { backend: new FakeBackend(bigInbox()) });
    expect(await screen.findAllByTestId('conversation')).toHaveLength(50);
    await fireEvent.input(screen.getByTestId('search'), { target: { value: 'blue birthday' } });
    await fireEvent.click(await screen.findByText(/Customer 119/));
    expect((await screen.findByTestId('thread-title')).textContent).toBe('Customer 119');
  });

  it('starts a conversation with a typed number, which the composer then writes to', async () => {
    const b = new FakeBackend(demoData());
    render(Inbox, { backend: b });
    await screen.findAllByTestId('conversation');
    await fireEvent.click(screen.getByText('New message'));
    await fireEvent.input(screen.getByLabelText('To'), { target: { value: 'not a number' } });
    await fireEvent.click(screen.getByText('Write'));
    expect((await screen.findByRole('alert')).textContent).toContain('not a valid phone number');
    await fireEvent.input(screen.getByLabelText('To'), { target: { value: '0412 999 000' } });
    await fireEvent.click(screen.getByText('Write'));
    expect((await screen.findByTestId('thread-title')).textContent, 'read in the country of our number').toBe(
      '+61 412 999 000',
    );
    await fireEvent.input(screen.getByTestId('composer'), { target: { value: 'Hi, your glasses are ready' } });
    await fireEvent.click(screen.getByTestId('send'));
    await waitFor(() => expect(b.calls.find((c) => c.method === 'sendMessage')).toBeTruthy());
    const started = b.d.conversations.find((c) => c.customer === '+61412999000');
    expect(b.calls.find((c) => c.method === 'sendMessage')?.args[0]).toMatchObject({
      conversationId: started?.id,
      channel: 'sms',
    });
  });
});
