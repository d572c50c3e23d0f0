// Shared builders and steps for the UI tests, so each test file states only what its case
// is about.
import { newMessage } from '../lib/fake';
import type { Message } from '../lib/types';

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
