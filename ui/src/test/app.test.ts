import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import App from '../App.svelte';
import { FakeBackend, demoData, emptyData } from '../lib/fake';

describe('App shell', () => {
  it('says clearly that it is the sandbox, and offers the simulated phone only there', async () => {
    render(App, { backend: new FakeBackend(demoData()) });
    expect((await screen.findByTestId('sandbox-banner')).textContent).toContain('SANDBOX');
    await fireEvent.click(screen.getByTestId('toggle-phone'));
    expect(await screen.findByTestId('sim-phone')).toBeTruthy();
  });

  it('has no sandbox banner or phone with a real account', async () => {
    const d = demoData();
    d.info = { ...d.info, sandbox: false };
    d.credentials = { sandbox: false, twilio: true, account_hint: '1234', ngrok: true };
    render(App, { backend: new FakeBackend(d) });
    await screen.findAllByTestId('conversation');
    expect(screen.queryByTestId('sandbox-banner')).toBeNull();
    expect(screen.queryByTestId('toggle-phone')).toBeNull();
  });

  it('reports the first paint of the inbox once, for the startup time in the log', async () => {
    const b = new FakeBackend(demoData());
    render(App, { backend: b });
    await screen.findAllByTestId('conversation');
    await waitFor(() => expect(b.calls.filter((c) => c.method === 'inboxPainted')).toHaveLength(1));
    b.emit({ type: 'message_received', conversation_id: 1, message_id: 99 });
    const lists = vi.spyOn(b, 'listConversations');
    await fireEvent.click(screen.getByTestId('nav-calls'));
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    // The positive marker: the re-opened inbox has loaded its list. A wrong second report
    // would be sent two frames after that load settles, so wait out three frames, not a clock.
    await waitFor(() => expect(lists).toHaveBeenCalled());
    await screen.findAllByTestId('conversation');
    for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(() => r(undefined)));
    expect(b.calls.filter((c) => c.method === 'inboxPainted')).toHaveLength(1);
  });

  it('starts with the setup wizard when there are no credentials', async () => {
    const d = emptyData();
    d.info = { ...d.info, sandbox: false };
    d.credentials = { sandbox: false, twilio: false, account_hint: null, ngrok: false };
    render(App, { backend: new FakeBackend(d) });
    expect(await screen.findByTestId('wizard')).toBeTruthy();
  });

  it('navigates between all sections', async () => {
    render(App, { backend: new FakeBackend(demoData()) });
    for (const [id, label] of [
      ['calls', 'Calls'],
      ['voicemail', 'Voicemail'],
      ['contacts', 'Contacts'],
      ['numbers', 'Numbers'],
      ['compliance', 'Compliance'],
      ['templates', 'Templates'],
      ['bulk', 'Bulk send'],
      ['settings', 'Settings'],
      ['inbox', 'Inbox'],
    ]) {
      await fireEvent.click(await screen.findByTestId(`nav-${id}`));
      expect(await screen.findByRole('heading', { level: 1, name: label })).toBeTruthy();
    }
  });

  it('Ctrl+K jumps to search from anywhere', async () => {
    render(App, { backend: new FakeBackend(demoData()) });
    await fireEvent.click(await screen.findByTestId('nav-settings'));
    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    const search = await screen.findByTestId('search');
    await waitFor(() => expect(document.activeElement).toBe(search));
  });

  it('a text from the simulated phone appears live and raises the unread count', async () => {
    const b = new FakeBackend(demoData());
    render(App, { backend: b });
    expect((await screen.findByTestId('unread-total')).textContent).toBe('2');
    await fireEvent.click(screen.getByTestId('toggle-phone'));
    await fireEvent.input(await screen.findByTestId('sim-from'), { target: { value: '+61499999999' } });
    await fireEvent.input(screen.getByTestId('sim-body'), { target: { value: 'Are you open on Sunday?' } });
    await fireEvent.click(screen.getByTestId('sim-send'));
    expect(await screen.findByText('Are you open on Sunday?', { selector: '[data-testid=preview]' })).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('unread-total').textContent).toBe('3'));
  });

  it('the unread badge counts every conversation, not only the first page', async () => {
    const d = demoData();
    const template = d.conversations[0];
    const extra = 60; // more than one page of the conversation list (50)
    for (let i = 0; i < extra; i++) {
      d.conversations.push({ ...template, id: 1000 + i, customer: `+614120${String(i).padStart(5, '0')}`, unread: 1 });
    }
    const expected = d.conversations.reduce((n, c) => n + c.unread, 0);
    render(App, { backend: new FakeBackend(d) });
    await waitFor(() => expect(screen.getByTestId('unread-total').textContent).toBe(String(expected)));
    expect(expected).toBeGreaterThan(extra);
  });

  it('the voicemail badge shows the count the core keeps and follows it on each voicemail event', async () => {
    const b = new FakeBackend(demoData());
    // Counts the demo data does not have, so the badge can only have them from the command.
    const count = vi.spyOn(b, 'unheardVoicemailCount').mockResolvedValue(7);
    const list = vi.spyOn(b, 'listVoicemails');
    render(App, { backend: b });
    await waitFor(() => expect(screen.getByTestId('unheard-total').textContent).toBe('7'));
    count.mockResolvedValue(3);
    b.emit({ type: 'voicemail_updated', voicemail_id: 1 });
    await waitFor(() => expect(screen.getByTestId('unheard-total').textContent).toBe('3'));
    count.mockResolvedValue(0);
    b.emit({ type: 'voicemail_updated', voicemail_id: 1 });
    await waitFor(() => expect(screen.queryByTestId('unheard-total')).toBeNull());
    expect(list, 'the badge does not list every voicemail').not.toHaveBeenCalled();
  });
});
