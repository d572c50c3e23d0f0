// Shared builders and steps for the UI tests, so each test file states only what its case
// is about.
import type { Message } from '../lib/types';

/** An outbound text Twilio never accepted (Retry offered); `over` sets what a case is about. */
export function failedOutbound(over: Partial<Message>): Message {
  return {
    id: 7,
    sid: null,
    conversation_id: 3,
    direction: 'outbound',
    channel: 'sms',
    from: '+61255501234',
    to: '+61412345678',
    body: 'Weekend special',
    status: 'failed',
    error_code: null,
    error_message: 'The connection to Twilio dropped before it answered. Retry checks Twilio first.',
    num_segments: 1,
    num_media: 0,
    price: null,
    created_at: '2026-11-20T10:00:00Z',
    updated_at: '2026-11-20T10:00:00Z',
    media: [],
    retryable: true,
    remedy: null,
    retry_of: null,
    retried_by: null,
    send_at: null,
    replaced_by: null,
    ...over,
  };
}
