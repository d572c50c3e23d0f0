// Calls that reach the owner (issue 14): recordings in the call log, the voicemail length
// trade-off, and what the settings say about the closed app.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import Calls from '../screens/Calls.svelte';
import Numbers from '../screens/Numbers.svelte';
import Voicemail from '../screens/Voicemail.svelte';
import SandboxPhone from '../screens/SandboxPhone.svelte';

afterEach(cleanup);

describe('Call recordings in the call log', () => {
  it('shows each recording with its duration and plays it from bytes', async () => {
    const b = new FakeBackend(demoData());
    render(Calls, { backend: b });
    const rec = await screen.findByTestId('call-recording');
    expect(within(rec).getByTestId('call-recording-duration').textContent).toBe('1:12');
    expect(screen.getAllByTestId('call-recording'), 'only the recorded call has one').toHaveLength(1);
    await fireEvent.click(within(rec).getByTestId('call-recording-listen'));
    const audio = (await within(rec).findByTestId('audio')) as HTMLAudioElement;
    expect(audio.src, 'a Blob URL, never a file or tauri:// URL').toMatch(/^blob:/);
  });

  it("deletes after a confirmation that offers to delete Twilio's copy too", async () => {
    const b = new FakeBackend(demoData());
    render(Calls, { backend: b });
    const rec = await screen.findByTestId('call-recording');
    await fireEvent.click(within(rec).getByText('Delete'));
    expect(b.called('deleteCallRecording'), 'nothing deleted before confirming').toBe(false);
    await fireEvent.click(within(rec).getByTestId('call-recording-also-twilio'));
    await fireEvent.click(within(rec).getByTestId('confirm'));
    await waitFor(() => expect(screen.queryByTestId('call-recording')).toBeNull());
    expect(b.calls.find((c) => c.method === 'deleteCallRecording')?.args).toEqual([1, true]);
  });

  it('deletes only the local copy unless asked', async () => {
    const b = new FakeBackend(demoData());
    render(Calls, { backend: b });
    const rec = await screen.findByTestId('call-recording');
    await fireEvent.click(within(rec).getByText('Delete'));
    await fireEvent.click(within(rec).getByTestId('confirm'));
    await waitFor(() => expect(b.calls.find((c) => c.method === 'deleteCallRecording')?.args).toEqual([1, false]));
  });

  it('says why a delete failed and keeps the recording', async () => {
    const b = new FakeBackend(demoData());
    b.deleteCallRecording = async () => {
      throw { code: 'twilio', message: 'Twilio could not be reached' };
    };
    render(Calls, { backend: b });
    const rec = await screen.findByTestId('call-recording');
    await fireEvent.click(within(rec).getByText('Delete'));
    await fireEvent.click(within(rec).getByTestId('confirm'));
    expect((await screen.findByTestId('call-recording-action-error')).textContent).toMatch(/could not be reached/);
    expect(screen.getAllByTestId('call-recording')).toHaveLength(1);
  });

  it('shows why a download failed, with a Retry', async () => {
    const d = demoData();
    Object.assign(d.calls[0].recordings[0], {
      path: null,
      download: 'failed',
      download_error: 'Twilio answered 404',
    });
    const b = new FakeBackend(d);
    render(Calls, { backend: b });
    const rec = await screen.findByTestId('call-recording');
    expect(within(rec).getByTestId('call-recording-error').textContent).toMatch(/Twilio answered 404/);
    expect(within(rec).queryByTestId('call-recording-listen'), 'nothing to play yet').toBeNull();
    await fireEvent.click(within(rec).getByTestId('call-recording-retry'));
    await waitFor(() => expect(b.calls.find((c) => c.method === 'retryDownload')?.args).toEqual([{ recording: 1 }]));
    await waitFor(() => expect(screen.queryByTestId('call-recording-error')).toBeNull());
    expect(screen.getByText('Downloading…')).toBeTruthy();
  });

  it('a download being retried says so, with the reason', async () => {
    const d = demoData();
    Object.assign(d.calls[0].recordings[0], { path: null, download: 'retrying', download_error: 'timed out' });
    render(Calls, { backend: new FakeBackend(d) });
    const err = await screen.findByTestId('call-recording-error');
    expect(err.textContent).toMatch(/trying again: timed out/);
    expect(screen.getByTestId('call-recording-retry')).toBeTruthy();
  });
});

describe('Voicemail length and transcripts', () => {
  it('explains the trade-off with Twilio’s 2–120 s transcription beside the maximum', async () => {
    const d = demoData();
    d.numbers[0].settings.voicemail_enabled = true;
    d.numbers[0].settings.voicemail_max_seconds = 120;
    render(Numbers, { backend: new FakeBackend(d) });
    const note = await screen.findByTestId('voicemail-length-note');
    expect(note.textContent).toMatch(/every voicemail gets a transcript/);
    await fireEvent.input(screen.getByTestId('voicemail-max'), { target: { value: '300' } });
    await waitFor(() =>
      expect(screen.getByTestId('voicemail-length-note').textContent).toMatch(/too long for Twilio's transcription/),
    );
  });

  it('a voicemail over two minutes says it is too long for Twilio’s transcription, not pending', async () => {
    const d = demoData();
    Object.assign(d.voicemails[0], {
      duration: 300,
      transcription: null,
      transcription_status: 'failed',
      transcript_state: 'too_long',
    });
    render(Voicemail, { backend: new FakeBackend(d) });
    const line = await screen.findByTestId('transcript-line');
    expect(line.textContent).toMatch(/Too long for Twilio’s transcription/);
    expect(line.textContent).not.toMatch(/pending/i);
  });
});

describe('Text-back while the app is closed', () => {
  it('says beside the setting that every missed call is texted then, without the hours rule', async () => {
    const d = demoData();
    d.numbers[0].settings.text_back_enabled = true;
    const b = new FakeBackend(d);
    render(Numbers, { backend: b });
    const note = await screen.findByTestId('text-back-note');
    const notes = await b.callFlowNotes();
    expect(note.textContent).toBe(notes.text_back);
    expect(note.textContent).toMatch(/every missed call/);
    expect(note.textContent).toMatch(/twice/);
    // Next to the setting: in the same form, right after the text-back fields.
    const form = screen.getByTestId('number-settings');
    expect(form.contains(note)).toBe(true);
    expect(
      screen.getByTestId('text-back-window').compareDocumentPosition(note) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBe(Node.DOCUMENT_POSITION_FOLLOWING);
  });
});

describe('The sandbox phone calls and is screened', () => {
  it('calls as the customer and lets the owner’s leg accept, decline, or be the mobile’s own voicemail', async () => {
    const b = new FakeBackend(demoData());
    render(SandboxPhone, { backend: b, onclose: () => {} });
    const outcomes: [string | RegExp, string][] = [
      [/owner answers/, 'answer'],
      [/owner declines/, 'decline'],
      [/mobile's voicemail answers/, 'carrier-voicemail'],
      [/leave voicemail/, 'voicemail'],
    ];
    for (const [label, outcome] of outcomes) {
      const button = await screen.findByRole('button', { name: label });
      await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
      await fireEvent.click(button);
      await waitFor(() =>
        expect(b.calls.filter((c) => c.method === 'simCustomerCall').at(-1)?.args).toEqual(['+61412345678', outcome]),
      );
    }
    // Only the accepted call reached the owner; the others ended in our voicemail.
    const fromPhone = b.d.calls.filter((c) => c.from === '+61412345678' && c.sid !== 'CA1');
    expect(fromPhone.map((c) => c.missed)).toEqual([true, true, true, false]);
    expect(b.d.voicemails.filter((v) => v.from === '+61412345678')).toHaveLength(3);
  });
});
