import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import Settings from '../screens/Settings.svelte';
import App from '../App.svelte';
import SandboxPhone from '../screens/SandboxPhone.svelte';

describe('Settings: reach and email', () => {
  it('tests webhooks through the public URL and shows the answer', async () => {
    const d = demoData();
    d.tunnel = { kind: 'ngrok', state: { state: 'online', kind: 'ngrok', url: 'https://shop.ngrok.app' } };
    render(Settings, { backend: new FakeBackend(d), onrerunsetup: () => {} });
    await fireEvent.click(await screen.findByTestId('test-webhooks'));
    expect((await screen.findByTestId('self-test-result')).textContent).toBe('Webhooks reach Switchboard');
  });

  it('says exactly why webhooks do not arrive', async () => {
    const d = demoData();
    d.tunnel = { kind: 'ngrok', state: { state: 'failed', kind: 'ngrok', reason: 'ERR_NGROK_105' } };
    render(Settings, { backend: new FakeBackend(d), onrerunsetup: () => {} });
    await fireEvent.click(await screen.findByTestId('test-webhooks'));
    expect((await screen.findByTestId('self-test-result')).textContent).toMatch(/tunnel is not online/);
  });

  it('saves the Resend key only with a sender address', async () => {
    const b = new FakeBackend(demoData());
    render(Settings, { backend: b, onrerunsetup: () => {} });
    const save = (await screen.findByTestId('save-email')) as HTMLButtonElement;
    await fireEvent.input(screen.getByTestId('resend-key'), { target: { value: 're_123' } });
    expect(save.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId('email-from'), { target: { value: 'Shop <hi@shop.example>' } });
    expect(save.disabled).toBe(false);
    await fireEvent.click(save);
    expect(await screen.findByText(/keychain/)).toBeTruthy();
  });
});

describe('While you were away', () => {
  it('summarises what the catch-up with Twilio brought in', async () => {
    const b = new FakeBackend(demoData());
    render(App, { backend: b });
    await screen.findByTestId('nav-inbox');
    b.emit({ type: 'sync_completed', messages: 3, calls: 1, voicemails: 0 });
    // As shown: the markup may wrap its text, which the page displays as single spaces.
    await waitFor(() =>
      expect(screen.getByTestId('away-summary').textContent?.replace(/\s+/g, ' ')).toMatch(
        /3 messages, 1 call, 0 voicemails/,
      ),
    );
  });

  it('says nothing when nothing was missed', async () => {
    const b = new FakeBackend(demoData());
    render(App, { backend: b });
    await screen.findByTestId('nav-inbox');
    b.emit({ type: 'sync_completed', messages: 0, calls: 0, voicemails: 0 });
    // Events are handled in order: once a later one shows, the empty one has been handled.
    b.emit({ type: 'open_voicemail' });
    await screen.findAllByTestId('voicemail');
    expect(screen.queryByTestId('away-summary')).toBeNull();
  });
});

describe('Clicking a notification', () => {
  it('opens the thread it was about', async () => {
    const d = demoData();
    const b = new FakeBackend(d);
    render(App, { backend: b });
    await screen.findByTestId('nav-inbox');
    await fireEvent.click(screen.getByTestId('nav-calls'));
    const target = d.conversations[0];
    b.emit({ type: 'open_conversation', conversation_id: target.id });
    const title = await screen.findByTestId('thread-title');
    expect(title.textContent).toContain(target.contact_name || target.customer.slice(-3));
    expect(screen.getByTestId('nav-inbox').getAttribute('aria-current')).toBe('page');
  });

  it('opens the voicemail list for a voicemail', async () => {
    const b = new FakeBackend(demoData());
    render(App, { backend: b });
    await screen.findByTestId('nav-inbox');
    b.emit({ type: 'open_voicemail' });
    await waitFor(() => expect(screen.getByTestId('nav-voicemail').getAttribute('aria-current')).toBe('page'));
  });
});

describe('When the app last heard from Twilio', () => {
  const minsAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  it('says "Up to date" while reconciliation succeeds', async () => {
    const d = demoData();
    d.reconcile.status = { last_ok: minsAgo(0), last_error: null, next_attempt: minsAgo(-1), failures: 0, runs: 3 };
    render(App, { backend: new FakeBackend(d) });
    await waitFor(() => expect(screen.getByTestId('reach-status').textContent?.trim()).toBe('Up to date'));
  });

  it('says how long ago it last checked and that it is retrying', async () => {
    const d = demoData();
    d.reconcile.status = {
      last_ok: minsAgo(3),
      last_error: 'could not reach Twilio: connection refused',
      next_attempt: minsAgo(-4),
      failures: 2,
      runs: 9,
    };
    render(App, { backend: new FakeBackend(d) });
    const line = await screen.findByTestId('reach-status');
    await waitFor(() => expect(line.textContent?.trim()).toBe('Last checked 3 min ago — retrying'));
    expect(line.getAttribute('title')).toMatch(/connection refused/);
  });

  it('follows the published status: from retrying back to up to date', async () => {
    const d = demoData();
    const b = new FakeBackend(d);
    render(App, { backend: b });
    await screen.findByTestId('reach-status');
    b.emit({
      type: 'reconcile_changed',
      status: { last_ok: minsAgo(5), last_error: 'slow down', next_attempt: null, failures: 1, runs: 4 },
    });
    await waitFor(() =>
      expect(screen.getByTestId('reach-status').textContent).toMatch(/Last checked 5 min ago — retrying/),
    );
    b.emit({
      type: 'reconcile_changed',
      status: { last_ok: minsAgo(0), last_error: null, next_attempt: null, failures: 0, runs: 5 },
    });
    await waitFor(() => expect(screen.getByTestId('reach-status').textContent?.trim()).toBe('Up to date'));
  });

  it('shows a long catch-up as it pages, then the status again when it ends', async () => {
    const d = demoData();
    d.reconcile.status = { last_ok: minsAgo(0), last_error: null, next_attempt: null, failures: 0, runs: 1 };
    const b = new FakeBackend(d);
    render(App, { backend: b });
    await waitFor(() => expect(screen.getByTestId('reach-status').textContent?.trim()).toBe('Up to date'));
    for (const listed of [1000, 2000, 3000]) b.emit({ type: 'sync_progress', resource: 'messages', listed, stored: 0 });
    await waitFor(() =>
      expect(screen.getByTestId('reach-status').textContent?.trim()).toBe('Catching up with Twilio: 3,000 messages…'),
    );
    b.emit({
      type: 'reconcile_changed',
      status: { last_ok: minsAgo(0), last_error: null, next_attempt: null, failures: 0, runs: 2 },
    });
    await waitFor(() => expect(screen.getByTestId('reach-status').textContent?.trim()).toBe('Up to date'));
  });
});

describe('Settings → Reach', () => {
  it('counts what arrived by catch-up rather than webhook', async () => {
    const d = demoData();
    d.reconcile.caught_up = { since: '2026-11-01T09:00:00.000Z', messages: 12, calls: 1, voicemails: 0, statuses: 3 };
    render(Settings, { backend: new FakeBackend(d), onrerunsetup: () => {} });
    const line = await screen.findByTestId('caught-up');
    expect(line.textContent).toMatch(
      /^12 messages, 1 call, 3 delivery statuses arrived by catch-up rather than webhook since .+ — your tunnel may be dropping events\.$/,
    );
  });

  it('says everything came by webhook when nothing had to be caught up', async () => {
    const d = demoData();
    d.reconcile.caught_up = { since: '2026-11-01T09:00:00.000Z', messages: 0, calls: 0, voicemails: 0, statuses: 0 };
    render(Settings, { backend: new FakeBackend(d), onrerunsetup: () => {} });
    expect((await screen.findByTestId('caught-up')).textContent).toMatch(/^Everything arrived by webhook since /);
  });
});

describe('The sandbox phone drops webhooks on request', () => {
  it('flips the simulator switch and shows it', async () => {
    const d = demoData();
    const b = new FakeBackend(d);
    render(SandboxPhone, { backend: b, onclose: () => {} });
    const box = (await screen.findByTestId('sim-drop-webhooks')) as HTMLInputElement;
    expect(box.checked).toBe(false);
    await fireEvent.click(box);
    await waitFor(() => expect(b.calls.some((c) => c.method === 'simDropWebhooks' && c.args[0] === true)).toBe(true));
    expect(await b.simDropWebhooks(null), 'the switch is on in the simulator').toBe(true);
    expect(await screen.findByText(/reach the app only when it next checks with Twilio/)).toBeTruthy();
  });
});
