// Files reach the core only as dialog grants: the UI passes tokens from pickFiles /
// pickSavePath, never paths, and a path the owner did not choose is refused (the fake
// refuses like src-tauri/picked does). The Tauri backend opens no dialog in the webview.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import { tauriBackend } from '../lib/backend';
import type { ComplianceFormInput } from '../lib/types';
import Inbox from '../screens/Inbox.svelte';
import { openNewRegistration, openInbox } from './support';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
vi.mock('@tauri-apps/plugin-dialog', () => {
  throw new Error('the webview must not open file dialogs itself');
});

/** An AU registration's answers with `file` as the registration document. */
const answers = (file: string | null): ComplianceFormInput => ({
  email: 'a@b.example',
  end_user: { business_name: 'Clinic' },
  documents: [{ requirement_name: 'business_registration_info', kind: 'business_registration', fields: {}, file }],
  address: null,
});
const start = (b: FakeBackend, file: string | null) => b.startComplianceForm('AU', 'mobile', 'business', answers(file));

async function refused(p: Promise<unknown>) {
  await expect(p).rejects.toMatchObject({ code: 'path_not_chosen' });
}

describe('paths the owner did not choose', () => {
  it('are refused by each file-taking command; chosen ones work once', async () => {
    const b = new FakeBackend(demoData());
    const send = (media: string[]) =>
      b.sendMessage({ conversationId: 1, body: 'hi', channel: 'sms', subject: null, media });
    await refused(send(['/home/owner/.ssh/id_ed25519']));
    await refused(b.exportData('/home/owner/.bashrc', 'json'));
    await refused(start(b, '/etc/passwd'));

    const [pic] = await b.pickFiles('image');
    await refused(start(b, pic.token)); // chosen as a picture, not a document
    expect((await send([pic.token])).num_media).toBe(1);
    await refused(send([pic.token])); // spent

    const target = await b.pickSavePath('switchboard-export.json');
    await b.exportData(target!.token, 'json');
    await refused(b.exportData(target!.token, 'json'));

    const [doc] = await b.pickFiles('document');
    const saved = await start(b, doc.token);
    expect(saved.answers?.documents?.[0].file_path).toBe('/home/owner/Documents/registration.pdf');
    await refused(start(b, doc.token)); // spent
  });
});

describe('the composer', () => {
  it('sends the chosen picture by its token and shows its name', async () => {
    const b = new FakeBackend(demoData());
    await openInbox(b);
    await fireEvent.click(await screen.findByTestId('attach'));
    expect(await screen.findByText(/cake.png/)).toBeTruthy();
    await fireEvent.click(screen.getByTestId('send'));
    await waitFor(() => expect(b.calls.find((c) => c.method === 'sendMessage')).toBeTruthy());
    const req = b.calls.find((c) => c.method === 'sendMessage')!.args[0] as { media: string[] };
    expect(req.media).toHaveLength(1);
    expect(req.media[0]).toMatch(/^grant-/);
  });

  it('offers the suggested email subject and sends what the owner made of it', async () => {
    const d = demoData();
    const conv = d.conversations.find((c) => c.contact_email)!;
    conv.reply_channel = 'email';
    const b = new FakeBackend(d);
    render(Inbox, { backend: b, openConversation: conv.id });
    const subject = (await screen.findByTestId('email-subject')) as HTMLInputElement;
    await waitFor(() => expect(subject.value).toBe('Message from Harbour Street Clinic'));
    await fireEvent.input(subject, { target: { value: 'Your results' } });
    await fireEvent.input(screen.getByTestId('composer'), { target: { value: 'They are in.' } });
    await fireEvent.click(screen.getByTestId('send'));
    await waitFor(() =>
      expect(b.calls.find((c) => c.method === 'sendMessage')?.args[0]).toMatchObject({
        channel: 'email',
        subject: 'Your results',
        media: [],
      }),
    );
  });
});

describe('the compliance form', () => {
  it('sends the chosen document by its token, never a path', async () => {
    const b = await openNewRegistration();
    await fireEvent.click(await screen.findByTestId('pick-business_registration_info'));
    expect(await screen.findByText('registration.pdf')).toBeTruthy();
    await fireEvent.input(screen.getByTestId('business-name'), { target: { value: 'Clinic' } });
    await fireEvent.click(screen.getByTestId('save-regulation-form'));
    await waitFor(() => expect(b.calls.find((c) => c.method === 'startComplianceForm')).toBeTruthy());
    const input = b.calls.find((c) => c.method === 'startComplianceForm')!.args[3] as ComplianceFormInput;
    const doc = input.documents!.find((d) => d.requirement_name === 'business_registration_info')!;
    expect(doc.file).toMatch(/^grant-/);
    expect(JSON.stringify(input), 'no path crosses IPC').not.toContain('/home/owner');
    const made = b.d.compliance.find((c) => c.form)!;
    await refused(b.updateComplianceForm(made.id, { ...input, documents: [{ ...doc, file: '/etc/passwd' }] }));
  });
});

describe('tauriBackend', () => {
  beforeEach(() => invoke.mockReset());

  it('asks the Rust side for dialogs and passes only tokens', async () => {
    const t = tauriBackend();
    invoke.mockResolvedValueOnce([{ token: 'abc', name: 'cake.png', path: '/p/cake.png' }]);
    expect(await t.pickFiles('image')).toEqual([{ token: 'abc', name: 'cake.png', path: '/p/cake.png' }]);
    expect(invoke).toHaveBeenLastCalledWith('pick_files', { kind: 'image' });
    invoke.mockResolvedValueOnce(null);
    expect(await t.pickSavePath('x.json')).toBeNull();
    expect(invoke).toHaveBeenLastCalledWith('pick_save_path', { defaultName: 'x.json' });
    invoke.mockResolvedValue(undefined);
    await t.exportData('tok', 'csv');
    expect(invoke).toHaveBeenLastCalledWith('export_data', { target: 'tok', format: 'csv' });
    await t.updateComplianceForm(3, answers('doc'));
    expect(invoke).toHaveBeenLastCalledWith('update_compliance_form', { id: 3, input: answers('doc') });
    await t.sendMessage({ conversationId: 1, body: 'b', channel: 'email', subject: 'S', media: [] });
    expect(invoke).toHaveBeenLastCalledWith('send_message', {
      conversationId: 1,
      body: 'b',
      channel: 'email',
      subject: 'S',
      media: [],
    });
  });
});
