// Contacts at scale and campaigns (issue 15) in the UI: the CSV import's steps (pick →
// mapping → preview → import → report of refused rows), tags (edit, filter, bulk-send
// audience), delete with confirmation, merge (saying threads and opt-outs stay), block /
// unblock, CSV export through the save dialog's grant, and the campaign history with
// Cancel and "send again to those who failed". The fake's file-reading commands need the
// desktop app, so the import's answers are given here as the core would give them.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import { campaignSummary } from './support';
import { toLocalInput } from '../lib/schedule';
import type { ImportOptions, ImportPreview, ImportReport } from '../lib/types';
import Contacts from '../screens/Contacts.svelte';
import BulkSend from '../screens/BulkSend.svelte';
import Campaigns from '../screens/Campaigns.svelte';

const refusedRow = {
  row: 4,
  name: 'Dee',
  problem: { code: 'bad_number' as const, value: 'not a number', hint: '' },
  message: '"not a number" is not a phone number',
};

function preview(o: ImportOptions): ImportPreview {
  return {
    columns: ['Name', 'Mobile', 'Email'],
    sample: [['Ana Lima', '0412 345 600', 'ana@example.com']],
    options: o,
    rows: [
      {
        row: 2,
        name: 'Ana Lima',
        phones: ['+61412345600'],
        email: 'ana@example.com',
        tags: o.add_tags ?? [],
        notes: '',
        action: { kind: 'create' },
      },
      {
        row: 3,
        name: 'Maria R',
        phones: ['+61412345678'],
        email: null,
        tags: [],
        notes: '',
        action: { kind: 'merge', contact_id: 1, contact_name: 'Maria Rossi', changed: true },
      },
      {
        row: 4,
        name: 'Dee',
        phones: [],
        email: null,
        tags: [],
        notes: '',
        action: { kind: 'refuse', message: refusedRow.message },
      },
    ],
    total_rows: 3,
    created: 1,
    merged: 1,
    unchanged: 0,
    refused: [refusedRow],
    warnings: [],
  };
}

/** A fake whose import answers as the core would for a three-row file. */
function importing() {
  const b = new FakeBackend(demoData());
  const asked: (ImportOptions | null)[] = [];
  const guessed: ImportOptions = {
    mapping: { name: 0, first_name: null, last_name: null, phones: [1], email: 2, notes: null, tags: null },
    has_header: true,
    region: 'AU',
    add_tags: [],
  };
  let imported: ImportOptions | null = null;
  b.previewContactsImport = async (token, options) => {
    asked.push(options);
    expect(token).toMatch(/.+/);
    return preview(options ?? guessed);
  };
  b.importContacts = async (_token, options): Promise<ImportReport> => {
    imported = options;
    return { created: 1, merged: 1, unchanged: 0, refused: [refusedRow], warnings: [] };
  };
  return { b, asked, imported: () => imported };
}

describe('CSV import', () => {
  it('goes from the chosen file to the mapping, the normalised preview and a report of refused rows', async () => {
    const { b, asked, imported } = importing();
    render(Contacts, { backend: b, onopenthread: () => {} });
    await screen.findAllByTestId('contact');
    await fireEvent.click(screen.getByTestId('import-open'));
    await fireEvent.click(screen.getByTestId('import-choose'));
    expect(b.calls.find((c) => c.method === 'pickFiles')?.args).toEqual(['contacts']);

    const table = await screen.findByTestId('import-preview');
    expect(asked[0], 'the first preview lets the core guess').toBeNull();
    expect(table.textContent, 'numbers shown normalised (E.164, formatted)').toContain('+61 412 345 600');
    expect(table.textContent).toContain('Merged into Maria Rossi');
    expect(screen.getByTestId('import-summary').textContent).toMatch(/1 new · 1 merged.*1 refused/s);
    expect((screen.getByTestId('map-email') as HTMLSelectElement).value, 'the guessed mapping').toBe('2');

    // Changing the mapping previews again with the owner's options.
    await fireEvent.change(screen.getByTestId('map-email'), { target: { value: '' } });
    await waitFor(() => expect(asked.length).toBe(2));
    expect(asked[1]?.mapping.email).toBeNull();
    expect(asked[1]?.region).toBe('AU');

    await fireEvent.input(screen.getByTestId('import-add-tags'), { target: { value: 'fair, spring' } });
    await fireEvent.click(screen.getByTestId('import-run'));
    const report = await screen.findByTestId('import-report');
    expect(imported()?.add_tags).toEqual(['fair', 'spring']);
    expect(imported()?.mapping.email, 'the import uses the mapping the owner confirmed').toBeNull();
    expect(within(report).getByTestId('import-refused').textContent).toContain(
      'Row 4 (Dee): "not a number" is not a phone number',
    );
  });

  it('shows why a file cannot be read', async () => {
    const b = new FakeBackend(demoData());
    render(Contacts, { backend: b, onopenthread: () => {} });
    await screen.findAllByTestId('contact');
    await fireEvent.click(screen.getByTestId('import-open'));
    await fireEvent.click(screen.getByTestId('import-choose'));
    expect((await screen.findByRole('alert')).textContent).toMatch(/desktop app/);
  });
});

/** Renders Contacts on `b` and opens the first contact's actions; returns how many contacts the list shows. */
async function openFirstContact(b: FakeBackend): Promise<number> {
  render(Contacts, { backend: b, onopenthread: () => {} });
  const rows = await screen.findAllByTestId('contact');
  await fireEvent.click(within(rows[0]).getByTestId('contact-more'));
  return rows.length;
}

describe('contacts', () => {
  it('edits tags and filters by tag', async () => {
    const b = new FakeBackend(demoData());
    const n = await openFirstContact(b);
    await fireEvent.input(screen.getByTestId('tags-input'), { target: { value: 'VIP, tuesday' } });
    await fireEvent.click(screen.getByTestId('tags-save'));
    await waitFor(() =>
      expect(within(screen.getAllByTestId('contact')[0]).getByTestId('contact-tags').textContent).toBe('tuesday, VIP'),
    );
    expect(b.d.contacts[0].tags).toEqual(['tuesday', 'VIP']);
    const filter = (await screen.findByTestId('tag-filter')) as HTMLSelectElement;
    await fireEvent.change(filter, { target: { value: 'VIP' } });
    await waitFor(() => expect(screen.getAllByTestId('contact')).toHaveLength(1));
    await fireEvent.change(filter, { target: { value: '' } });
    await waitFor(() => expect(screen.getAllByTestId('contact')).toHaveLength(n));
  });

  it('says so when the filter matches nobody', async () => {
    render(Contacts, { backend: new FakeBackend(demoData()), onopenthread: () => {} });
    await screen.findAllByTestId('contact');
    expect(screen.queryByTestId('contacts-no-match')).toBeNull();
    await fireEvent.input(screen.getByLabelText('Filter contacts'), { target: { value: 'zzzz nobody' } });
    expect((await screen.findByTestId('contacts-no-match')).textContent).toContain('Nobody matches');
    expect(screen.queryAllByTestId('contact')).toHaveLength(0);
  });

  it('deletes only after confirming, saying the conversations stay', async () => {
    const b = new FakeBackend(demoData());
    const n = await openFirstContact(b);
    await fireEvent.click(screen.getByText('Delete contact'));
    expect(b.called('deleteContact'), 'nothing deleted before confirming').toBe(false);
    expect(screen.getByRole('alertdialog').getAttribute('aria-label')).toMatch(/conversations and opt-outs stay/);
    await fireEvent.click(screen.getByTestId('confirm'));
    await waitFor(() => expect(screen.getAllByTestId('contact')).toHaveLength(n - 1));
    expect(screen.getByTestId('contacts-note').textContent).toMatch(/conversations stay/);
  });

  it('merges two contacts, saying threads and the opt-out ledger are untouched', async () => {
    const b = new FakeBackend(demoData());
    const [keep, gone] = b.d.contacts;
    await openFirstContact(b);
    await fireEvent.click(screen.getByTestId('merge-open'));
    const panel = await screen.findByTestId('merge-contacts');
    expect((within(panel).getByTestId('merge-keep') as HTMLSelectElement).value).toBe(String(keep.id));
    await fireEvent.change(within(panel).getByTestId('merge-from'), { target: { value: String(gone.id) } });
    expect(screen.getByTestId('merge-note').textContent?.replace(/\s+/g, ' ')).toMatch(
      /Every conversation stays.*opt-outs belong to numbers/,
    );
    await fireEvent.click(screen.getByTestId('merge-run'));
    await waitFor(() => expect(b.calls.find((c) => c.method === 'mergeContacts')?.args).toEqual([keep.id, gone.id]));
    await waitFor(() => expect(b.d.contacts.find((c) => c.id === gone.id)).toBeUndefined());
  });

  it('blocks a number from its row and lists and unblocks it', async () => {
    const b = new FakeBackend(demoData());
    const phone = b.d.contacts[0].phones[0];
    await openFirstContact(b);
    await fireEvent.click(screen.getByTestId('block-phone'));
    await waitFor(() => expect(b.calls.find((c) => c.method === 'setBlocked')?.args).toEqual([phone, true]));
    await fireEvent.click(screen.getByTestId('blocked-open'));
    const item = await screen.findByTestId('blocked');
    expect(item.textContent).toContain('+61 412 345 678');
    await fireEvent.click(within(item).getByTestId('unblock'));
    await screen.findByTestId('blocked-empty');
    expect(await b.listBlocked()).toEqual([]);
  });

  it('exports to the file chosen in the save dialog, by its token', async () => {
    const b = new FakeBackend(demoData());
    render(Contacts, { backend: b, onopenthread: () => {} });
    await screen.findAllByTestId('contact');
    await fireEvent.click(screen.getByTestId('export-contacts'));
    await waitFor(() => expect(b.calls.find((c) => c.method === 'exportData')).toBeTruthy());
    const [token, format] = b.calls.find((c) => c.method === 'exportData')!.args;
    expect(format).toBe('contacts');
    expect(token).not.toMatch(/\//);
    expect((await screen.findByTestId('contacts-note')).textContent).toContain('/home/owner/contacts.csv');
  });
});

/** Bulk send with one contact tagged `tag` and only that tag chosen as the audience. */
async function bulkSendToTag(tag: string): Promise<FakeBackend> {
  const d = demoData();
  d.contacts[0].tags = [tag];
  const b = new FakeBackend(d);
  render(BulkSend, { backend: b });
  const box = (await screen.findAllByTestId('audience-tag')).find((t) => (t as HTMLInputElement).value === tag)!;
  await fireEvent.click(box);
  return b;
}

describe('bulk send audience', () => {
  it('sends to everyone with a chosen tag: the preview and the start carry the tags', async () => {
    const b = await bulkSendToTag('vip');
    const send = await screen.findByText(/Send 1 messages/);
    await fireEvent.click(send);
    await waitFor(() =>
      expect(b.calls.find((c) => c.method === 'startBulk')?.args[1]).toMatchObject({ tags: ['vip'], contact_ids: [] }),
    );
  });
});

describe('bulk send audience, estimated and sent later', () => {
  it('gives the estimate and Send later the tags too, not only the contacts picked one by one', async () => {
    const b = await bulkSendToTag('vip');
    await screen.findByText(/Send 1 messages/);
    await waitFor(() =>
      expect(b.calls.filter((c) => c.method === 'estimateBulk').at(-1)?.args[1]).toMatchObject({ tags: ['vip'] }),
    );
    await fireEvent.click(screen.getByTestId('bulk-send-later'));
    await fireEvent.input(screen.getByTestId('send-later-at'), {
      target: { value: toLocalInput(new Date(Date.now() + 2 * 3600_000)) },
    });
    await fireEvent.click(screen.getByTestId('send-later-confirm'));
    await waitFor(() =>
      expect(b.calls.find((c) => c.method === 'startBulkLater')?.args[1]).toMatchObject({
        tags: ['vip'],
        contact_ids: [],
      }),
    );
  });
});

/** The campaign screen with its one campaign opened and Cancel pressed, not yet confirmed:
 *  what its row said, and the opened campaign. */
async function askToCancel(b: FakeBackend): Promise<{ listed: string; detail: HTMLElement }> {
  render(Campaigns, { backend: b });
  const row = await screen.findByTestId('campaign');
  const listed = row.textContent ?? '';
  await fireEvent.click(within(row).getByTestId('campaign-open'));
  const detail = await screen.findByTestId('campaign-detail');
  await fireEvent.click(within(detail).getByText('Cancel campaign'));
  return { listed, detail };
}

describe('campaign history', () => {
  it('lists campaigns, opens one, and cancels it after confirming', async () => {
    const d = demoData();
    const b = new FakeBackend(d);
    const id = await b.startBulk(d.numbers[0].id, {
      template_id: d.templates[0].id,
      contact_ids: d.contacts.map((c) => c.id),
      vars: {},
      per_contact: {},
    });
    await b.pauseCampaign(id);
    const { listed } = await askToCancel(b);
    expect(listed).toContain('paused');
    expect(b.called('cancelCampaign'), 'asks first').toBe(false);
    await fireEvent.click(screen.getByTestId('confirm'));
    await waitFor(() => expect(screen.getByTestId('campaign-state').textContent).toBe('cancelled'));
    await waitFor(() => expect(screen.getByTestId('campaign').textContent).toContain('cancelled'));
  });

  it('offers Cancel on a finished bulk send whose texts wait at Twilio for their time', async () => {
    const b = new FakeBackend(demoData());
    const summary = campaignSummary({ id: 9, audience: '2 contacts', total: 2, scheduled: 2 });
    b.listCampaigns = async () => [summary];
    b.campaignDetail = async () => ({ summary, recipients: [] });
    const { listed, detail } = await askToCancel(b);
    expect(listed).toContain('2 scheduled');
    expect(detail.textContent).toContain('Cancel the 2 texts scheduled for later');
    await fireEvent.click(screen.getByTestId('confirm'));
    await waitFor(() => expect(b.called('cancelCampaign')).toBe(true));
  });

  it('previews "send again to those who failed" and sends only on confirming', async () => {
    const b = new FakeBackend(demoData());
    const summary = campaignSummary({
      id: 7,
      audience: 'tag vip',
      total: 3,
      delivered: 1,
      failed: 2,
      cost: { totals: [{ currency: 'USD', micros: 7900, amount: '0.0079', messages: 1 }], unpriced: 2 },
    });
    b.listCampaigns = async () => [summary];
    b.campaignDetail = async () => ({
      summary,
      recipients: [
        {
          recipient_id: 1,
          contact_id: 1,
          name: 'Maria Rossi',
          to: '+61412345678',
          outcome: 'delivered',
          message_id: 1,
          message_status: 'delivered',
          error: null,
        },
        {
          recipient_id: 2,
          contact_id: 2,
          name: 'Priya Shah',
          to: '+61412345679',
          outcome: 'failed',
          message_id: 2,
          message_status: 'undelivered',
          error: 'unreachable (30003)',
        },
      ],
    });
    b.previewResend = async () => ({ family: 7, count: 1, opted_out: 1, unconfirmed: 0 });
    let resent = 0;
    b.resendFailed = async () => {
      resent += 1;
      return 8;
    };
    render(Campaigns, { backend: b });
    expect((await screen.findByTestId('campaign-cost')).textContent, 'the campaign says what it cost').toContain(
      '0.0079',
    );
    await fireEvent.click(within(await screen.findByTestId('campaign')).getByTestId('campaign-open'));
    const rows = await screen.findAllByTestId('campaign-recipient');
    expect(rows[1].textContent).toMatch(/failed.*unreachable \(30003\)/s);
    await fireEvent.click(screen.getByTestId('resend-preview'));
    const plan = await screen.findByTestId('resend-plan');
    expect(plan.textContent).toMatch(/1 who failed will be sent.*1 opted out since: never sent again/s);
    expect(resent).toBe(0);
    await fireEvent.click(screen.getByTestId('resend-run'));
    await waitFor(() => expect(resent).toBe(1));
  });
});
