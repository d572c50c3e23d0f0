// Outbound edges in the thread: a failed text Twilio never accepted offers Retry, and
// links in messages open only as web links, after a click.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tick } from 'svelte';
import { FakeBackend, demoData } from '../lib/fake';
import { linkParts, openableUrl } from '../lib/format';
import { failedOutbound } from './support';
import MessageBubble from '../components/MessageBubble.svelte';
import Composer from '../components/Composer.svelte';

afterEach(cleanup);

describe('Retry on a failed outbound bubble', () => {
  it('retries a failed text Twilio never accepted, and refreshes the thread', async () => {
    const data = demoData();
    const m = failedOutbound({ id: 99, conversation_id: data.messages[6].conversation_id });
    data.messages.push(m);
    const b = new FakeBackend(data);
    let retried = 0;
    render(MessageBubble, { backend: b, message: m, onretried: () => (retried += 1) });
    expect(screen.getByRole('note').textContent, 'the reason is shown plainly').toContain('Retry checks Twilio first');
    await fireEvent.click(screen.getByTestId('retry-message'));
    await waitFor(() => expect(retried).toBe(1));
    expect(b.calls.filter((c) => c.method === 'retryMessage').map((c) => c.args[0])).toEqual([99]);
  });

  it('shows why a retry was refused', async () => {
    const data = demoData();
    const m = failedOutbound({ id: 98 });
    data.messages.push({ ...m, retryable: false }); // the backend knows better
    render(MessageBubble, { backend: new FakeBackend(data), message: m });
    await fireEvent.click(screen.getByTestId('retry-message'));
    expect((await screen.findByRole('alert')).textContent).toContain('can be retried');
  });

  it('offers no Retry on a delivered, an undelivered (carrier) or an inbound message', () => {
    const b = new FakeBackend(demoData());
    for (const m of [
      failedOutbound({ status: 'delivered', retryable: false, sid: 'SM1' }),
      failedOutbound({ status: 'undelivered', retryable: false, sid: 'SM2', error_code: 30003 }),
      failedOutbound({ direction: 'inbound', status: 'received', retryable: false }),
    ]) {
      render(MessageBubble, { backend: b, message: m });
      expect(screen.queryByTestId('retry-message'), m.status).toBeNull();
      cleanup();
    }
  });
});

describe('links in messages', () => {
  it('opens http and https only', () => {
    expect(openableUrl('https://shop.example/cake?size=2')).toBe('https://shop.example/cake?size=2');
    expect(openableUrl('http://shop.example')).toBe('http://shop.example/');
    for (const bad of [
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      ' javascript:alert(1)',
      'file:///etc/passwd',
      'tauri://localhost/x',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:x',
      'ftp://x.example',
      'mailto:a@b.example',
      'https://user:pass@evil.example',
      'https://',
      'not a url',
      '',
    ]) {
      expect(openableUrl(bad), bad).toBeNull();
    }
  });

  it('only web links become buttons', () => {
    expect(linkParts('see javascript:alert(1) or file:///etc/passwd').every((p) => !p.url)).toBe(true);
    expect(linkParts('log in at https://u:p@evil.example now').some((p) => p.url)).toBe(false);
  });

  it('opens a link in the browser only after a click, and refuses anything else', async () => {
    const b = new FakeBackend(demoData());
    render(MessageBubble, {
      backend: b,
      message: failedOutbound({ status: 'delivered', retryable: false, body: 'Menu: https://shop.example/menu' }),
    });
    expect(b.called('openExternal'), 'nothing opens by itself').toBe(false);
    await fireEvent.click(screen.getByTitle('Open in your browser'));
    expect(b.calls.filter((c) => c.method === 'openExternal').map((c) => c.args[0])).toEqual([
      'https://shop.example/menu',
    ]);
    await expect(b.openExternal('javascript:alert(1)')).rejects.toMatchObject({ code: 'invalid_input' });
  });
});

describe('The composer while the tunnel is off', () => {
  it('says texts go out without a delivery report, and stops saying so once the tunnel is online', async () => {
    const b = new FakeBackend(demoData());
    const conversation = (await b.listConversations())[0];
    render(Composer, { backend: b, conversation, channel: 'sms', onchannel: () => {}, onsent: () => {} });
    const note = await screen.findByTestId('no-tunnel-note');
    expect(note.textContent).toContain('without a delivery report');
    b.emit({
      type: 'tunnel_changed',
      state: { state: 'online', kind: 'ngrok', url: 'https://example.ngrok-free.app' },
    });
    await waitFor(() => expect(screen.queryByTestId('no-tunnel-note')).toBeNull());
  });

  it('says nothing when the tunnel is online', async () => {
    const d = demoData();
    d.tunnel = { kind: 'ngrok', state: { state: 'online', kind: 'ngrok', url: 'https://example.ngrok-free.app' } };
    const b = new FakeBackend(d);
    const conversation = (await b.listConversations())[0];
    const status = vi.spyOn(b, 'tunnelStatus');
    render(Composer, { backend: b, conversation, channel: 'sms', onchannel: () => {}, onsent: () => {} });
    // The positive marker: the composer has asked for the tunnel's state and had its answer.
    await waitFor(() => expect(status).toHaveBeenCalled());
    await status.mock.results[0].value;
    await tick();
    expect(screen.queryByTestId('no-tunnel-note')).toBeNull();
  });
});
