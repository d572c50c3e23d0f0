// Shared builders and steps for the UI tests, so each test file states only what its case
// is about.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { FakeBackend, demoData, newMessage } from '../lib/fake';
import type { CampaignSummary, Message } from '../lib/types';
import Compliance from '../screens/Compliance.svelte';
import Inbox from '../screens/Inbox.svelte';

/** Types `value` into the input with that test id. */
export const fill = (id: string, value: string) => fireEvent.input(screen.getByTestId(id), { target: { value } });

/** An outbound text Twilio never accepted (Retry offered); `over` sets what a case is about. */
export function failedOutbound(over: Partial<Message>): Message {
  return newMessage({
    id: 7,
    sid: null,
    conversation_id: 3,
    direction: 'outbound',
    from: '+61255501234',
    to: '+61412345678',
    body: 'Weekend special',
    status: 'failed',
    error_message: 'The connection to Twilio dropped before it answered. Retry checks Twilio first.',
    created_at: '2026-11-20T10:00:00Z',
    updated_at: '2026-11-20T10:00:00Z',
    retryable: true,
    ...over,
  });
}

/** The Compliance screen on the demo data, with the form of a new registration open (the
 *  country and type it offers first). Returns the backend, to check what it was asked. */
export async function openNewRegistration(): Promise<FakeBackend> {
  const b = new FakeBackend(demoData());
  render(Compliance, { backend: b });
  await fireEvent.click(await screen.findByText('New registration'));
  await fireEvent.click(screen.getByTestId('compliance-next'));
  return b;
}

/** Opens the first conversation in the inbox list on screen (its row's button). */
export async function openFirstConversation(): Promise<void> {
  await fireEvent.click((await screen.findAllByTestId('conversation'))[0].querySelector('button')!);
}

/** The Inbox on `b`, with its first conversation open. */
export async function openInbox(b: FakeBackend) {
  const view = render(Inbox, { backend: b });
  await openFirstConversation();
  return view;
}

/** A finished campaign of the "Reminder" template with nothing counted yet; `over` sets what
 *  a case is about. */
export function campaignSummary(over: Partial<CampaignSummary>): CampaignSummary {
  return {
    id: 1,
    created_at: new Date().toISOString(),
    template_id: 1,
    template_name: 'Reminder',
    from_number: '+61255501234',
    audience: 'everyone',
    state: 'done',
    resend_of: null,
    total: 0,
    sent: 0,
    delivered: 0,
    failed: 0,
    skipped: 0,
    pending: 0,
    scheduled: 0,
    cancelled: 0,
    cost: { totals: [], unpriced: 0 },
    ...over,
  };
}
