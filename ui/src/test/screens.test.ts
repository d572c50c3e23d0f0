// What each screen does beyond showing its list.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { FakeBackend, demoData, newContact } from '../lib/fake';
import type { BulkChoice } from '../lib/types';
import Wizard from '../screens/Wizard.svelte';
import Voicemail from '../screens/Voicemail.svelte';
import Numbers from '../screens/Numbers.svelte';
import BulkSend from '../screens/BulkSend.svelte';
import Inbox from '../screens/Inbox.svelte';
import Contacts from '../screens/Contacts.svelte';
import Calls from '../screens/Calls.svelte';
import Settings from '../screens/Settings.svelte';
import Templates from '../screens/Templates.svelte';
import { openNewRegistration, fill } from './support';

const SID = 'AC' + '0123456789abcdef'.repeat(2);

describe('Wizard', () => {
  it('explains a refused token in plain words', async () => {
    render(Wizard, { backend: new FakeBackend(demoData()), ondone: () => {} });
    await fireEvent.click(screen.getByTestId('start-setup'));
    await fireEvent.input(screen.getByTestId('account-sid'), { target: { value: SID } });
    await fireEvent.input(screen.getByTestId('auth-token'), { target: { value: 'short' } });
    await fireEvent.click(screen.getByText('Check and continue'));
    expect((await screen.findByTestId('wizard-error')).textContent).toContain('Copy it again from the Twilio Console');
  });

  it('goes from credentials to tunnel to numbers', async () => {
    const b = new FakeBackend(demoData());
    let done = false;
    render(Wizard, { backend: b, ondone: () => (done = true) });
    await fireEvent.click(screen.getByTestId('start-setup'));
    await fireEvent.input(screen.getByTestId('account-sid'), { target: { value: SID } });
    await fireEvent.input(screen.getByTestId('auth-token'), { target: { value: 'x'.repeat(32) } });
    await fireEvent.click(screen.getByText('Check and continue'));
    await fireEvent.click(await screen.findByLabelText(/I have my own public address/));
    await fireEvent.input(screen.getByPlaceholderText('https://phone.example.com'), {
      target: { value: 'https://phone.example.com' },
    });
    await fireEvent.click(screen.getByText('Continue'));
    await fireEvent.click(await screen.findByText('Finish'));
    await waitFor(() => expect(done).toBe(true));
    expect(b.calls.map((c) => c.method)).toEqual([
      'checkTwilioCredentials',
      'saveCredentials',
      'configureTunnel',
      'manageNumbers',
    ]);
    expect(b.calls[1].args[0], 'the SID is saved').toBe(SID);
    expect(b.calls[3].args[0]).toEqual(['PN00000000000000000000000000000001']);
  });

  it('offers the sandbox', async () => {
    const b = new FakeBackend(demoData());
    render(Wizard, { backend: b, ondone: () => {} });
    await fireEvent.click(screen.getByTestId('try-sandbox'));
    await waitFor(() => expect(b.called('openSandbox')).toBe(true));
  });
});

describe('Voicemail', () => {
  it('plays the recording from bytes, marks it heard, and deletes it after confirmation', async () => {
    const b = new FakeBackend(demoData());
    const { container } = render(Voicemail, { backend: b });
    expect(await screen.findByTestId('unheard')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('voicemail'));
    const audio = (await screen.findByTestId('audio')) as HTMLAudioElement;
    expect(audio.src, 'the player uses a Blob URL, never a file or tauri:// URL').toMatch(/^blob:/);
    await fireEvent.click(screen.getByTestId('play'));
    await waitFor(() => expect(b.d.voicemails[0].listened, 'playing marks it heard').toBe(true));
    expect(screen.getByTestId('play').textContent).toBe('Pause');
    expect(screen.getByTestId('transcript').textContent).toMatch(/birthday order/);
    await fireEvent.click(screen.getByText('Delete'));
    await fireEvent.click(screen.getByTestId('confirm'));
    expect(await screen.findByTestId('voicemail-empty')).toBeTruthy();
    expect(container.querySelector('audio')).toBeNull();
  });

  it('says why a recording could not be deleted, and keeps it', async () => {
    const b = new FakeBackend(demoData());
    b.deleteVoicemail = async () => {
      throw { code: 'database', message: 'database error: disk I/O error' };
    };
    render(Voicemail, { backend: b });
    await fireEvent.click(await screen.findByTestId('voicemail'));
    await fireEvent.click(screen.getByText('Delete'));
    await fireEvent.click(screen.getByTestId('confirm'));
    expect((await screen.findByTestId('voicemail-action-error')).textContent).toMatch(/disk I\/O error/);
    expect(screen.getAllByTestId('voicemail')).toHaveLength(b.d.voicemails.length);
  });

  it('says when a recording is not downloaded', async () => {
    const d = demoData();
    d.voicemails[0].path = null;
    d.voicemails[0].download_error = 'Twilio answered 404';
    render(Voicemail, { backend: new FakeBackend(d) });
    await fireEvent.click(await screen.findByTestId('voicemail'));
    expect(await screen.findByText(/could not be downloaded: Twilio answered 404/)).toBeTruthy();
  });
});

describe('Numbers', () => {
  it('saves forwarding, greeting, ring time and business hours', async () => {
    const b = new FakeBackend(demoData());
    render(Numbers, { backend: b });
    const fwd = await screen.findByTestId('forwarding-number');
    await fireEvent.input(fwd, { target: { value: '+61 412 999 888' } });
    await fireEvent.input(screen.getByTestId('greeting'), { target: { value: 'Hello from the bakery' } });
    await fireEvent.click(screen.getByTestId('hours-on'));
    expect(await screen.findByTestId('hours-editor')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('save-number'));
    expect(await screen.findByText(/Saved/)).toBeTruthy();
    const [, , settings] = b.calls.find((c) => c.method === 'updateNumberSettings')!.args as any[];
    expect(settings.forwarding_number).toBe('+61412999888');
    expect(settings.greeting).toBe('Hello from the bakery');
    expect(settings.business_hours.spans).toHaveLength(5);
  });

  it('saves screening, text-back and call recording, and says what happens while closed', async () => {
    const b = new FakeBackend(demoData());
    render(Numbers, { backend: b });
    const screening = (await screen.findByTestId('screening')) as HTMLInputElement;
    expect(screening.checked).toBe(true);
    expect(await screen.findByTestId('screening-note')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('record-calls'));
    await fireEvent.input(screen.getByTestId('recording-notice'), { target: { value: 'Calls are recorded.' } });
    await fireEvent.click(screen.getByTestId('text-back-on'));
    await fireEvent.input(screen.getByTestId('text-back-body'), { target: { value: 'Missed you! Reply here.' } });
    await fireEvent.input(screen.getByTestId('text-back-window'), { target: { value: '24' } });
    expect((await screen.findByTestId('text-back-note')).textContent).toContain('every missed call');
    await fireEvent.click(screen.getByTestId('save-number'));
    expect(await screen.findByText(/Saved/)).toBeTruthy();
    const [, , settings] = b.calls.find((c) => c.method === 'updateNumberSettings')!.args as any[];
    expect(settings.screening_enabled).toBe(true);
    expect(settings.record_calls).toBe(true);
    expect(settings.recording_notice).toBe('Calls are recorded.');
    expect(settings.text_back_enabled).toBe(true);
    expect(settings.text_back_body).toBe('Missed you! Reply here.');
    expect(settings.text_back_window_hours).toBe(24);
  });

  it('shows a refused setting', async () => {
    const d = demoData();
    render(Numbers, { backend: new FakeBackend(d) });
    await fireEvent.input(await screen.findByTestId('forwarding-number'), { target: { value: '12' } });
    await fireEvent.click(screen.getByTestId('save-number'));
    expect((await screen.findByRole('alert')).textContent).toContain('not a valid phone number');
  });

  it('searches and buys a number, and releases one only after confirming', async () => {
    const d = demoData();
    d.available = [
      {
        e164: '+61480000001',
        friendly_name: '0480 000 001',
        locality: null,
        region: 'NSW',
        capabilities: ['SMS', 'Voice'],
        requirements: null,
      },
    ];
    const b = new FakeBackend(d);
    render(Numbers, { backend: b });
    await fireEvent.click(await screen.findByText('Buy a number'));
    await fireEvent.click(screen.getByText('Search'));
    await fireEvent.click(await screen.findByText('Buy', { selector: 'button' }));
    expect(await screen.findByText(/is yours/)).toBeTruthy();
    expect(b.d.numbers).toHaveLength(2);
    await fireEvent.click(screen.getByText('Release this number'));
    expect(b.called('releaseNumber'), 'nothing released before confirming').toBe(false);
    await fireEvent.click(screen.getByTestId('confirm'));
    await waitFor(() => expect(b.called('releaseNumber')).toBe(true));
  });
});

describe('Compliance', () => {
  it("builds the form from the country's regulation, saves a draft and submits it", async () => {
    await openNewRegistration();
    expect(await screen.findByTestId('regulation-form')).toBeTruthy();
    await fill('business-name', 'Ana Bakery Pty Ltd');
    await fill('business-email', 'ana@example.com');
    await fill('registration-id', '51824753556');
    await fireEvent.change(screen.getByTestId('field-end_user.business_registration_identifier'), {
      target: { value: 'ABN' },
    });
    await fill('field-end_user.first_name', 'Ana');
    await fill('field-end_user.last_name', 'Lima');
    await fill('field-address.street', '1 George St');
    await fill('field-address.city', 'Sydney');
    await fill('field-address.region', 'NSW');
    await fill('field-address.postal_code', '2000');
    await fill('field-documents.business_registration_info.business_name', 'Ana Bakery Pty Ltd');
    await fill('field-documents.business_registration_info.business_registration_number', '51824753556');
    await fireEvent.click(screen.getByTestId('pick-business_registration_info'));
    await fireEvent.click(screen.getByTestId('save-regulation-form'));
    expect((await screen.findByTestId('bundle-status')).dataset.status).toBe('draft');
    await fireEvent.click(screen.getByTestId('submit-bundle'));
    await waitFor(() => expect(screen.getByTestId('bundle-status').dataset.status).toBe('pending-review'));
  });
});

describe('Bulk send', () => {
  it('previews rendered messages, counts opted-out contacts as skipped, and can pause', async () => {
    const b = new FakeBackend(demoData());
    render(BulkSend, { backend: b });
    await fireEvent.click(await screen.findByLabelText(/Everyone/));
    expect((await screen.findByTestId('skipped')).textContent, 'Tom opted out').toBe('1');
    expect(screen.getByText('Hi Maria, your order is ready for pickup. See you soon!')).toBeTruthy();
    await fireEvent.click(screen.getByText('Send 2 messages'));
    expect(await screen.findByTestId('bulk-progress')).toBeTruthy();
    await fireEvent.click(screen.getByText('Pause'));
    expect(await screen.findByText('Resume')).toBeTruthy();
  });

  it('takes a value per person where it differs, and the shared one elsewhere', async () => {
    const b = new FakeBackend(demoData());
    render(BulkSend, { backend: b });
    await fireEvent.change(await screen.findByLabelText('Template'), { target: { value: '2' } });
    await fireEvent.click(screen.getByLabelText(/Everyone/));
    expect(
      await screen.findByText(/Priya Shah: the template needs a value for offer/),
      'nobody has an offer yet',
    ).toBeTruthy();
    expect(screen.queryByLabelText('offer for Tom Nguyen'), 'opted-out people get no row').toBeNull();
    await fireEvent.input(screen.getByLabelText(/offer \(for everyone/), { target: { value: '2 for 1 pastries' } });
    await fireEvent.input(screen.getByLabelText('offer for Priya Shah'), { target: { value: 'a free coffee' } });
    expect(await screen.findByText('Hi Priya, this weekend: a free coffee. Reply STOP to opt out.')).toBeTruthy();
    expect(screen.getByText('Hi Maria, this weekend: 2 for 1 pastries. Reply STOP to opt out.')).toBeTruthy();
    await fireEvent.click(screen.getByText('Send 2 messages'));
    await screen.findByTestId('bulk-progress');
    const sent = b.calls.find((c) => c.method === 'startBulk')?.args[1] as BulkChoice | undefined;
    expect(sent?.vars).toEqual({ offer: '2 for 1 pastries' });
    expect(sent?.per_contact).toEqual({ 3: { offer: 'a free coffee' } });
  });
});

describe('Bulk send previews answered out of order', () => {
  it('shows the preview of the latest values, not of whichever answer came last', async () => {
    // The first preview (typed "2 for 1") is answered after the second ("2 for 1 pastries"),
    // as concurrent store reads can be.
    class Slow extends FakeBackend {
      held: Array<() => void> = [];
      async previewBulk(...args: Parameters<FakeBackend['previewBulk']>) {
        const answer = await super.previewBulk(...args);
        if (args[0].vars.offer === '2 for 1') await new Promise<void>((resolve) => this.held.push(resolve));
        return answer;
      }
    }
    const b = new Slow(demoData());
    render(BulkSend, { backend: b });
    await fireEvent.change(await screen.findByLabelText('Template'), { target: { value: '2' } });
    await fireEvent.click(screen.getByLabelText(/Everyone/));
    const shared = await screen.findByLabelText(/offer \(for everyone/);
    await fireEvent.input(shared, { target: { value: '2 for 1' } });
    await waitFor(() => expect(b.held.length).toBe(1));
    await fireEvent.input(shared, { target: { value: '2 for 1 pastries' } });
    expect(await screen.findByText('Hi Maria, this weekend: 2 for 1 pastries. Reply STOP to opt out.')).toBeTruthy();
    b.held.forEach((release) => release());
    await new Promise((r) => setTimeout(r, 0));
    await waitFor(() =>
      expect(screen.getByText('Hi Maria, this weekend: 2 for 1 pastries. Reply STOP to opt out.')).toBeTruthy(),
    );
    expect(
      screen.queryByText('Hi Maria, this weekend: 2 for 1. Reply STOP to opt out.'),
      'the stale answer is dropped',
    ).toBeNull();
  });
});

describe('Contacts', () => {
  it('edits a contact, shows opt-out read-only, and links to the conversation', async () => {
    const b = new FakeBackend(demoData());
    let opened: number | null = null;
    render(Contacts, { backend: b, onopenthread: (id: number) => (opened = id) });
    expect((await screen.findByTestId('opted-out')).textContent).toBe('Opted out');
    await fireEvent.click(screen.getAllByText('Edit')[0]);
    await fireEvent.input(screen.getByTestId('contact-name'), { target: { value: 'Maria R.' } });
    await fireEvent.click(screen.getByText('Save'));
    expect(await screen.findByText('Maria R.')).toBeTruthy();
    expect(screen.queryByLabelText(/opted out/i), 'opt-out is not an editable field').toBeNull();
    await fireEvent.click(screen.getAllByText('Message')[0]);
    expect(opened).toBe(1);
  });
});

describe('A clinic with thousands of contacts', () => {
  it('renders them a part at a time, and the filter still finds anyone', async () => {
    const d = demoData();
    for (let i = 0; i < 5000; i++) {
      d.contacts.push(
        newContact(1000 + i, {
          name: `Patient ${i}`,
          phones: [`+6141200${String(i).padStart(4, '0')}`],
          email: null,
          notes: '',
        }),
      );
    }
    render(Contacts, { backend: new FakeBackend(d), onopenthread: () => {} });
    expect(await screen.findAllByTestId('contact')).toHaveLength(200);
    expect(screen.getByTestId('show-more').textContent).toContain('Showing 200 of 5,003');
    await fireEvent.click(screen.getByText('Show more'));
    expect(screen.getAllByTestId('contact')).toHaveLength(400);
    await fireEvent.input(screen.getByLabelText('Filter contacts'), { target: { value: 'Patient 4999' } });
    expect(screen.getAllByTestId('contact')).toHaveLength(1);
    expect(screen.queryByTestId('show-more')).toBeNull();
  });
});

describe('A contact who only has an email address', () => {
  it('gets a thread that replies by email, with no texting or calling', async () => {
    const d = demoData();
    d.contacts.push(newContact(9, { name: 'Dr Lee', phones: [], email: 'lee@example.com', notes: '' }));
    const b = new FakeBackend(d);
    let opened: number | null = null;
    render(Contacts, { backend: b, onopenthread: (id: number) => (opened = id) });
    const row = (await screen.findAllByTestId('contact')).find((r) => r.textContent?.includes('Dr Lee'))!;
    await fireEvent.click(within(row).getByText('Message'));
    await waitFor(() => expect(opened).not.toBeNull());
    cleanup();

    render(Inbox, { backend: b, openConversation: opened });
    expect((await screen.findByTestId('thread-title')).textContent).toBe('Dr Lee');
    expect(screen.getByText(/lee@example.com · by email/)).toBeTruthy();
    expect(screen.queryByText('Call'), 'there is no number to call').toBeNull();
    expect(screen.queryByRole('radio', { name: 'SMS' }), 'nor to text').toBeNull();
    await fireEvent.input(screen.getByTestId('composer'), { target: { value: 'Your results are in' } });
    await fireEvent.click(screen.getByTestId('send'));
    await waitFor(() =>
      expect(b.calls.find((c) => c.method === 'sendMessage')?.args[0]).toMatchObject({ channel: 'email' }),
    );
  });
});

describe('Calls', () => {
  it('marks missed calls and calls back', async () => {
    const b = new FakeBackend(demoData());
    render(Calls, { backend: b });
    expect(await screen.findByText('Voicemail')).toBeTruthy();
    await fireEvent.click(screen.getAllByText('Call back')[0]);
    await waitFor(() => expect(b.calls.find((c) => c.method === 'startCall')?.args).toEqual([1, '+61412345678']));
  });
});

describe('Settings', () => {
  it('toggles notifications and exports to the chosen file', async () => {
    const b = new FakeBackend(demoData());
    render(Settings, { backend: b, onrerunsetup: () => {} });
    await fireEvent.click(await screen.findByTestId('notifications'));
    await waitFor(() => expect(b.d.settings.notifications).toBe(false));
    await fireEvent.click(screen.getByText('Export everything (JSON)'));
    expect(await screen.findByText('Exported to /home/owner/switchboard-export.json')).toBeTruthy();
    const [target, format] = b.calls.find((c) => c.method === 'exportData')?.args ?? [];
    expect(format).toBe('json');
    expect(target, 'the export goes by the dialog grant, not by path').toMatch(/^grant-/);
  });
});

describe('Letting numbers go', () => {
  it('stops managing a number after asking, and says where its texts and calls go now', async () => {
    const b = new FakeBackend(demoData());
    const managed = b.d.numbers.find((n) => n.managed)!;
    render(Numbers, { backend: b });
    await screen.findByTestId('stop-managing');
    await fireEvent.click(within(screen.getByTestId('stop-managing')).getByRole('button', { name: 'Stop managing' }));
    await fireEvent.click(screen.getByTestId('confirm'));
    expect(await screen.findByText(/has its previous webhooks back/)).toBeTruthy();
    expect(b.calls.find((c) => c.method === 'stopManagingNumber')?.args).toEqual([managed.id]);
    expect(b.d.numbers.find((n) => n.id === managed.id)?.managed).toBe(false);
    expect(screen.queryByTestId('stop-managing'), 'nothing left to stop managing').toBeNull();
  });

  it('offers to restore every number before the credentials are removed, and says what happens if not', async () => {
    const b = new FakeBackend(demoData());
    b.d.credentials = { sandbox: false, twilio: true, account_hint: '1234', ngrok: true };
    render(Settings, { backend: b, onrerunsetup: () => {} });
    await fireEvent.click(await screen.findByText('Remove credentials'));
    const ask = screen.getByTestId('remove-credentials');
    expect(ask.textContent?.replace(/\s+/g, ' '), 'as displayed, whitespace collapsed').toMatch(
      /Restore their previous webhooks first, or texts sent to them will be lost/,
    );
    await fireEvent.click(screen.getByTestId('remove-and-restore'));
    expect(await screen.findByText(/numbers have their previous webhooks back/)).toBeTruthy();
    expect(b.calls.find((c) => c.method === 'removeCredentials')?.args).toEqual([true]);
    expect(b.d.numbers.every((n) => !n.managed)).toBe(true);
  });

  it('removes without restoring when the owner says so, and keeps the numbers managed', async () => {
    const b = new FakeBackend(demoData());
    b.d.credentials = { sandbox: false, twilio: true, account_hint: '1234', ngrok: true };
    render(Settings, { backend: b, onrerunsetup: () => {} });
    await fireEvent.click(await screen.findByText('Remove credentials'));
    await fireEvent.click(screen.getByTestId('remove-only'));
    expect(await screen.findByText(/still point at this computer/)).toBeTruthy();
    expect(b.calls.find((c) => c.method === 'removeCredentials')?.args).toEqual([false]);
  });

  it('keeps the credentials and says which number failed when a restore is refused', async () => {
    const b = new FakeBackend(demoData());
    b.d.credentials = { sandbox: false, twilio: true, account_hint: '1234', ngrok: true };
    b.removeCredentials = async () => {
      throw {
        code: 'invalid_input',
        message: 'could not restore +61 2 5550 1234 (Twilio is unavailable); nothing was removed',
      };
    };
    render(Settings, { backend: b, onrerunsetup: () => {} });
    await fireEvent.click(await screen.findByText('Remove credentials'));
    await fireEvent.click(screen.getByTestId('remove-and-restore'));
    expect(await screen.findByText(/nothing was removed/)).toBeTruthy();
    expect(b.d.credentials.twilio).toBe(true);
  });
});

describe('Templates', () => {
  it('says why a template could not be deleted, and keeps it', async () => {
    const b = new FakeBackend(demoData());
    const name = b.d.templates[0].name;
    b.deleteTemplate = async () => {
      throw { code: 'database', message: 'database error: disk I/O error' };
    };
    render(Templates, { backend: b });
    await screen.findByText(name);
    await fireEvent.click(screen.getAllByText('Delete')[0]);
    await fireEvent.click(screen.getByTestId('confirm'));
    expect((await screen.findByRole('alert')).textContent).toMatch(/disk I\/O error/);
    expect(screen.getByText(name)).toBeTruthy();
  });

  it('creates a template and names its variables', async () => {
    const b = new FakeBackend(demoData());
    render(Templates, { backend: b });
    await fireEvent.click(await screen.findByText('New template'));
    await fireEvent.input(screen.getByTestId('template-name'), { target: { value: 'Reminder' } });
    await fireEvent.input(screen.getByTestId('template-body'), {
      target: { value: 'Hi {{first_name}}, see you {{day}}' },
    });
    expect(screen.getByText('Variables: first_name, day')).toBeTruthy();
    await fireEvent.click(screen.getByText('Save'));
    expect(await screen.findByText('Reminder')).toBeTruthy();
    expect(b.d.templates.find((t) => t.name === 'Reminder')?.variables).toEqual(['first_name', 'day']);
  });
});

describe('The call log of a busy clinic', () => {
  function withCalls(n: number) {
    const d = demoData();
    d.calls = [];
    for (let i = 0; i < n; i++) {
      const missed = i % 4 === 0;
      d.calls.push({
        number_id: 1,
        customer: '',
        contact_name: '',
        outcome: 'answered',
        id: i + 1,
        sid: `CA${i}`,
        direction: 'inbound',
        from: `+6141200${String(i).padStart(4, '0')}`,
        to: '+61255501234',
        status: 'completed',
        duration: 20,
        forwarded_to: '+61412000111',
        answered_by: missed ? null : 'human',
        dial_status: missed ? 'no-answer' : 'completed',
        created_at: new Date(Date.UTC(2026, 10, 1) + Math.floor(i / 2) * 60_000).toISOString(),
        has_voicemail: false,
        missed,
        recordings: [],
      });
    }
    return d;
  }

  it('pages back through older calls without loading them all', async () => {
    const b = new FakeBackend(withCalls(250));
    render(Calls, { backend: b });
    expect(await screen.findAllByTestId('call')).toHaveLength(100);
    await fireEvent.click(screen.getByTestId('calls-older'));
    await waitFor(() => expect(screen.getAllByTestId('call')).toHaveLength(200));
    await fireEvent.click(screen.getByTestId('calls-older'));
    await waitFor(() => expect(screen.getAllByTestId('call')).toHaveLength(250));
    expect(screen.queryByTestId('calls-older'), 'no more pages').toBeNull();
    const ids = screen.getAllByTestId('call').map((r) => r.textContent);
    expect(new Set(ids).size, 'no call shown twice').toBe(250);
    expect(b.calls.filter((c) => c.method === 'listCalls').map((c) => c.args[1] === null)).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('filters to missed calls, paged the same way', async () => {
    render(Calls, { backend: new FakeBackend(withCalls(500)) });
    await screen.findAllByTestId('call');
    await fireEvent.click(screen.getByTestId('calls-missed-filter'));
    await waitFor(() => expect(screen.getAllByTestId('call').every((r) => r.classList.contains('missed'))).toBe(true));
    expect(screen.getAllByTestId('call')).toHaveLength(100);
    await fireEvent.click(screen.getByTestId('calls-older'));
    await waitFor(() => expect(screen.getAllByTestId('call')).toHaveLength(125));
    expect(screen.queryByTestId('calls-older')).toBeNull();
  });
});
