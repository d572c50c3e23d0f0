// A quick double click, or typing on while a send waits its turn: what the owner does
// twice or meanwhile must not text everyone twice, ring their phone twice or lose words;
// and what the owner just did is shown until a fresher row says otherwise.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import BulkSend from '../screens/BulkSend.svelte';
import Calls from '../screens/Calls.svelte';
import Composer from '../components/Composer.svelte';
import ConversationActions from '../components/ConversationActions.svelte';

afterEach(cleanup);

/** A backend whose `method` waits until the test releases it, as a slow core would. */
function holding<K extends 'startBulk' | 'startCall' | 'sendMessage'>(method: K) {
  const b = new FakeBackend(demoData());
  const held: Array<() => void> = [];
  const real = b[method].bind(b) as (...args: unknown[]) => Promise<unknown>;
  (b[method] as unknown) = async (...args: unknown[]) => {
    await new Promise<void>((resolve) => held.push(resolve));
    return real(...args);
  };
  return { b, held, count: () => b.calls.filter((c) => c.method === method).length, waiting: () => held.length };
}

describe('a double click', () => {
  it('on bulk Send starts one campaign, not two', async () => {
    const { b, held, waiting } = holding('startBulk');
    render(BulkSend, { backend: b });
    await fireEvent.click(await screen.findByLabelText(/Everyone/));
    const send = await screen.findByText(/Send \d+ messages?/);
    await fireEvent.click(send);
    await fireEvent.click(send);
    await waitFor(() => expect(waiting()).toBe(1));
    expect((send as HTMLButtonElement).disabled, 'disabled while it starts').toBe(true);
    held.forEach((release) => release());
    await screen.findByTestId('bulk-progress');
    expect(waiting(), 'the second click asked nothing').toBe(1);
  });

  it('on Call back rings the owner once', async () => {
    const { b, held, waiting } = holding('startCall');
    render(Calls, { backend: b });
    const [back] = await screen.findAllByText('Call back');
    await fireEvent.click(back);
    await fireEvent.click(back);
    await waitFor(() => expect(waiting()).toBe(1));
    expect((back as HTMLButtonElement).disabled).toBe(true);
    held.forEach((release) => release());
    await waitFor(() => expect((back as HTMLButtonElement).disabled).toBe(false));
    expect(waiting(), 'one call placed').toBe(1);
  });
});

describe('typing while a text is sending', () => {
  it('keeps what was typed after the send started', async () => {
    const { b, held, waiting } = holding('sendMessage');
    const conversation = (await b.listConversations())[0];
    render(Composer, { backend: b, conversation, channel: 'sms', onchannel: () => {}, onsent: () => {} });
    const box = (await screen.findByRole('textbox')) as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: 'Your order is ready' } });
    await fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(waiting()).toBe(1));
    await fireEvent.input(box, { target: { value: 'Your order is ready See you soon' } });
    held.forEach((release) => release());
    await waitFor(() => expect(box.value).toBe('See you soon'));
  });
});

describe('the thread header after the owner changed something', () => {
  it('shows Done at once, and open again when a fresher row says a new message reopened it', async () => {
    const b = new FakeBackend(demoData());
    const conversation = (await b.listConversations())[0];
    const { rerender } = render(ConversationActions, { backend: b, conversation, onchanged: () => {} });
    await fireEvent.click(screen.getByTestId('mark-done'));
    await screen.findByTestId('state-done');
    // The inbox hands the row as it is after a customer wrote again: open.
    await rerender({ backend: b, conversation: { ...conversation, state: 'open' }, onchanged: () => {} });
    await waitFor(() => expect(screen.queryByTestId('state-done')).toBeNull());
    expect(screen.getByTestId('mark-done')).toBeTruthy();
  });
});
