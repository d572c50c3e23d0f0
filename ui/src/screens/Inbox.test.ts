import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import Inbox from './Inbox.svelte';
import { FakeBackend } from '../lib/backend';

const convo = {
  id: 1, number_id: 1, our_number: '+61255501234', customer: '+61412345678', contact_id: 1,
  contact_name: '', contact_email: null, reply_channel: 'sms' as const, last_message_at: '2026-11-21T05:00:00.000Z',
  last_preview: '<img src=x onerror=alert(1)>', unread: 2, opted_out: false,
};

describe('Inbox', () => {
  it('shows the empty state', async () => {
    render(Inbox, { backend: new FakeBackend([]) });
    expect(await screen.findByTestId('inbox-empty')).toBeTruthy();
  });

  it('renders previews as text, never HTML', async () => {
    const { container } = render(Inbox, { backend: new FakeBackend([convo]) });
    expect(await screen.findByText('<img src=x onerror=alert(1)>')).toBeTruthy();
    expect(container.querySelector('img')).toBeNull();
  });

  it('shows an error when the backend fails', async () => {
    const failing = new FakeBackend();
    failing.listConversations = async () => { throw { code: 'database', message: 'disk is full' }; };
    render(Inbox, { backend: failing });
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'disk is full');
  });
});
