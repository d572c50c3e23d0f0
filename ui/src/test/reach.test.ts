import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import Settings from '../screens/Settings.svelte';
import App from '../App.svelte';

describe('Settings: reach and email', () => {
  it('tests webhooks through the public URL and shows the answer', async () => {
    const d = demoData();
    d.tunnel = { kind: 'ngrok', state: 'connected', public_url: 'https://shop.ngrok.app', error: null };
    render(Settings, { backend: new FakeBackend(d), onrerunsetup: () => {} });
    await fireEvent.click(await screen.findByTestId('test-webhooks'));
    expect((await screen.findByTestId('self-test-result')).textContent).toBe('Webhooks reach Switchboard');
  });

  it('says exactly why webhooks do not arrive', async () => {
    const d = demoData();
    d.tunnel = { ...d.tunnel, state: 'down', public_url: null, error: 'ERR_NGROK_105' };
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
    await waitFor(() => expect(screen.getByTestId('away-summary').textContent).toMatch(/3 messages, 1 call, 0 voicemails/));
  });

  it('says nothing when nothing was missed', async () => {
    const b = new FakeBackend(demoData());
    render(App, { backend: b });
    await screen.findByTestId('nav-inbox');
    b.emit({ type: 'sync_completed', messages: 0, calls: 0, voicemails: 0 });
    await new Promise((r) => setTimeout(r, 20));
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
