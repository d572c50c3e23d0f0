// The owner's side of two issue-13 rules: the auto-reply window is set in Settings (whole
// hours, a week at most), and an address's opt-out ledger is shown with its history.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tick } from 'svelte';
import { FakeBackend, demoData } from '../lib/fake';
import AutoReplyWindow from '../components/AutoReplyWindow.svelte';
import OptOutHistory from '../components/OptOutHistory.svelte';

afterEach(cleanup);

describe('The auto-reply window in Settings', () => {
  it('saves whole hours and says what it means', async () => {
    const b = new FakeBackend(demoData());
    render(AutoReplyWindow, { backend: b, hours: 12 });
    const input = screen.getByTestId('auto-reply-hours') as HTMLInputElement;
    expect(input.value).toBe('12');
    await fireEvent.input(input, { target: { value: '24' } });
    await fireEvent.click(screen.getByTestId('save-auto-reply-window'));
    expect((await screen.findByRole('status')).textContent).toContain('every 24 hours');
    expect(b.d.settings.auto_reply_window_hours).toBe(24);
  });

  it('shows the refusal of a window outside 1 to 168 hours and keeps the old one', async () => {
    const b = new FakeBackend(demoData());
    render(AutoReplyWindow, { backend: b, hours: 12 });
    await fireEvent.input(screen.getByTestId('auto-reply-hours'), { target: { value: '500' } });
    await fireEvent.click(screen.getByTestId('save-auto-reply-window'));
    expect((await screen.findByRole('alert')).textContent).toContain('between 1 and 168 hours');
    expect(b.d.settings.auto_reply_window_hours).toBe(12);
  });
});

describe("An address's opt-out history", () => {
  it('lists each change, newest first, with its path in words', async () => {
    const b = new FakeBackend(demoData());
    const address = '+61412999001';
    await b.setOptOut(address, true);
    await b.setOptOut(address, false);
    render(OptOutHistory, { backend: b, address });
    await waitFor(() => expect(screen.getAllByTestId('opt-out-event')).toHaveLength(2));
    const rows = screen.getAllByTestId('opt-out-event').map((r) => r.textContent ?? '');
    expect(rows[0]).toContain('Opted back in');
    expect(rows[1]).toContain('Opted out');
    expect(rows[0]).toContain('by you');
  });

  it('shows nothing for an address that never opted out', async () => {
    const b = new FakeBackend(demoData());
    const asked = vi.spyOn(b, 'optOutHistory');
    render(OptOutHistory, { backend: b, address: '+61412999002' });
    // Positive marker: the ledger was asked and its (empty) answer applied.
    await waitFor(() => expect(asked).toHaveBeenCalled());
    expect(await asked.mock.results[0].value).toEqual([]);
    await tick();
    expect(screen.queryByTestId('opt-out-history')).toBeNull();
  });
});

describe('Start at login in the sandbox', () => {
  it('is disabled and says why: the login entry would start the real app', async () => {
    const { default: Settings } = await import('../screens/Settings.svelte');
    render(Settings, { backend: new FakeBackend(demoData()), onrerunsetup: () => {} });
    const box = (await screen.findByTestId('autostart')) as HTMLInputElement;
    expect(box.disabled).toBe(true);
    expect(screen.getByTestId('autostart-sandbox').textContent).toContain('real Switchboard');
  });

  it('is refused by the backend too', async () => {
    await expect(new FakeBackend(demoData()).setAutostart(true)).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
