// An in-memory Backend for the browser (`npm run dev`) and for unit tests. It follows the
// core's rules where the UI depends on them (opt-outs, unread counts, newest first), and
// its simulated phone adds inbound messages and voicemails the way the sandbox does.
import type { Backend, SendRequest, Unsubscribe } from './backend';
import type * as T from './types';
import { render, variables } from './template';
import { openableUrl } from './format';
import * as fakeCosts from './fake_costs';
import { PAGE, sortKey, sortsAfter } from './inbox';
import { CALL_PAGE, MMS_MAX_ATTACHMENTS } from './bindings';
import { fakeRegulation, mergeAnswers, newFormRecord, submitFormRecord } from './fake-compliance';
import { compare as compareCursor, cursorOf } from './timeline';

export interface FakeData {
  info: T.AppInfo;
  conversations: T.ConversationSummary[];
  messages: T.Message[];
  contacts: T.Contact[];
  calls: T.Call[];
  voicemails: T.Voicemail[];
  numbers: T.PhoneNumber[];
  templates: T.Template[];
  compliance: T.Compliance[];
  settings: T.DesktopSettings;
  credentials: T.CredentialsStatus;
  tunnel: T.TunnelStatus;
  available: T.Available[];
  simInbox: T.SimPhoneMessage[];
  reconcile: T.ReconcileReport;
  /** The sandbox's "drop webhooks" switch: texts then arrive only by reconciliation. */
  dropWebhooks: boolean;
  /** Bytes returned for any voicemail or media (tests give a tiny WAV). */
  audio: ArrayBuffer;
}

const now = () => new Date().toISOString();
/** Calls in one page of the call log (store/calls.rs PAGE, exported into the bindings). */
export { CALL_PAGE };

export const defaultSettings = (): T.NumberSettings => ({
  forwarding_number: null,
  forwarding_enabled: true,
  greeting: '',
  voice: 'alice',
  ring_seconds: 20,
  voicemail_enabled: true,
  voicemail_prompt: 'Sorry, we cannot take your call. Please leave a message after the beep.',
  voicemail_max_seconds: 120,
  business_hours: null,
  auto_reply: null,
  screening_enabled: true,
  closed_greeting: '',
  record_calls: false,
  recording_notice: 'This call may be recorded.',
  text_back_enabled: false,
  text_back_body: "Sorry we missed your call. Reply here and we'll get back to you.",
  text_back_window_hours: 12,
});

/** A message with nothing more happened to it than `fields` say: an SMS, no error, price,
 *  media, retry or schedule (each case sets its own). */
export function newMessage(
  fields: Pick<T.Message, 'id' | 'sid' | 'conversation_id' | 'direction' | 'from' | 'to' | 'body' | 'status'> &
    Partial<T.Message>,
): T.Message {
  return {
    channel: 'sms',
    error_code: null,
    error_message: null,
    num_segments: 1,
    num_media: 0,
    price: null,
    created_at: now(),
    updated_at: now(),
    media: [],
    retryable: false,
    remedy: null,
    retry_of: null,
    retried_by: null,
    send_at: null,
    replaced_by: null,
    ...fields,
  };
}

/** A contact as the core saves a new one: nobody has opted out of anything yet. */
export const newContact = (id: number, edit: T.ContactEdit): T.Contact => ({
  id,
  ...edit,
  opted_out: false,
  opted_out_at: null,
  opt_out_source: null,
  opted_out_phones: [],
  email_opted_out: false,
});

export function emptyData(): FakeData {
  return {
    info: { version: 'dev', sandbox: true, data_dir: '/tmp/switchboard-dev' },
    conversations: [],
    messages: [],
    contacts: [],
    calls: [],
    voicemails: [],
    numbers: [],
    templates: [],
    compliance: [],
    settings: {
      notifications: true,
      autostart: false,
      data_dir: '/tmp/switchboard-dev',
      sandbox: true,
      tray_keeps_window: false,
      auto_reply_window_hours: 12,
    },
    credentials: { sandbox: true, twilio: true, account_hint: null, ngrok: false },
    tunnel: { kind: 'none', state: { state: 'stopped', reason: null } },
    available: [],
    simInbox: [],
    reconcile: {
      status: { last_ok: now(), last_error: null, next_attempt: now(), failures: 0, runs: 1 },
      caught_up: { since: now(), messages: 0, calls: 0, voicemails: 0, statuses: 0 },
    },
    dropWebhooks: false,
    audio: new ArrayBuffer(0),
  };
}

export function demoData(): FakeData {
  const d = emptyData();
  const t = (minsAgo: number) => new Date(Date.now() - minsAgo * 60_000).toISOString();
  d.numbers = [
    {
      id: 1,
      e164: '+61255501234',
      sid: 'PN00000000000000000000000000000001',
      friendly_name: 'Shop line',
      managed: true,
      seen_in_webhook: true,
      settings: {
        ...defaultSettings(),
        forwarding_number: '+61412000111',
        greeting: 'Thanks for calling Ana\u2019s Bakery.',
      },
      wired_url: 'https://sandbox.invalid',
      wired_at: t(600),
      wiring_error: null,
    },
  ];
  d.contacts = [
    newContact(1, {
      name: 'Maria Rossi',
      phones: ['+61412345678'],
      email: 'maria@example.com',
      notes: 'Gluten-free orders',
    }),
    {
      ...newContact(2, { name: 'Tom Nguyen', phones: ['+61412345679'], email: null, notes: '' }),
      opted_out: true,
      opted_out_at: t(3000),
      opt_out_source: 'STOP',
      opted_out_phones: ['+61412345679'],
    },
    newContact(3, { name: 'Priya Shah', phones: ['+61412345680'], email: null, notes: '' }),
  ];
  const conv = (
    id: number,
    contact: T.Contact,
    preview: string,
    minsAgo: number,
    unread: number,
  ): T.ConversationSummary => ({
    state: 'open',
    id,
    number_id: 1,
    our_number: '+61255501234',
    customer: contact.phones[0],
    contact_id: contact.id,
    contact_name: contact.name,
    contact_email: contact.email,
    reply_channel: 'sms',
    last_message_at: t(minsAgo),
    last_preview: preview,
    unread,
    opted_out: contact.opted_out,
  });
  d.conversations = [
    conv(1, d.contacts[0], 'Can I pick up the cake at 4?', 5, 2),
    conv(2, d.contacts[2], 'Thank you!', 60 * 26, 0),
    conv(3, d.contacts[1], 'STOP', 60 * 50, 0),
  ];
  let mid = 0;
  const msg = (
    c: number,
    dir: 'inbound' | 'outbound',
    body: string,
    minsAgo: number,
    status = dir === 'inbound' ? 'received' : 'delivered',
  ): T.Message => {
    const convo = d.conversations.find((x) => x.id === c)!;
    mid += 1;
    return newMessage({
      id: mid,
      sid: `SM${String(mid).padStart(32, '0')}`,
      conversation_id: c,
      direction: dir,
      from: dir === 'inbound' ? convo.customer : convo.our_number,
      to: dir === 'inbound' ? convo.our_number : convo.customer,
      body,
      status,
      created_at: t(minsAgo),
      updated_at: t(minsAgo),
    });
  };
  d.messages = [
    msg(1, 'inbound', 'Hi! Do you have the chocolate cake today?', 60 * 25),
    msg(1, 'outbound', 'Yes we do, one left. Shall I keep it for you?', 60 * 24.9),
    msg(1, 'inbound', 'Yes please', 8),
    msg(1, 'inbound', 'Can I pick up the cake at 4?', 5),
    msg(2, 'outbound', 'Your order is ready for pickup.', 60 * 26.5),
    msg(2, 'inbound', 'Thank you!', 60 * 26),
    msg(3, 'outbound', 'Weekend special: 2 loaves for $8', 60 * 51, 'failed'),
    msg(3, 'inbound', 'STOP', 60 * 50),
  ];
  d.messages[6].error_code = 30003;
  d.messages[6].error_message = 'The destination handset was unreachable (switched off or out of coverage).';
  d.calls = [
    {
      number_id: 1,
      customer: '+61412345678',
      contact_name: 'Maria Rossi',
      outcome: 'forwarded',
      id: 1,
      sid: 'CA1',
      direction: 'inbound',
      from: '+61412345678',
      to: '+61255501234',
      status: 'completed',
      duration: 74,
      forwarded_to: '+61412000111',
      answered_by: 'human',
      dial_status: 'completed',
      created_at: t(90),
      has_voicemail: false,
      missed: false,
      recordings: [
        {
          id: 1,
          recording_sid: 'RE2',
          call_sid: 'CA1',
          source: 'DialVerb',
          duration: 72,
          path: 'recordings/RE2.wav',
          content_type: 'audio/wav',
          bytes: 576044,
          download: 'downloaded',
          download_error: null,
          twilio_deleted: false,
          created_at: t(90),
        },
      ],
    },
    {
      number_id: 1,
      customer: '+61412345680',
      contact_name: 'Priya Shah',
      outcome: 'missed',
      id: 2,
      sid: 'CA2',
      direction: 'inbound',
      from: '+61412345680',
      to: '+61255501234',
      status: 'completed',
      duration: 31,
      forwarded_to: '+61412000111',
      answered_by: null,
      dial_status: 'no-answer',
      created_at: t(60 * 20),
      has_voicemail: true,
      missed: true,
      recordings: [],
    },
    {
      number_id: 1,
      customer: '+61412345680',
      contact_name: 'Priya Shah',
      outcome: 'outgoing',
      id: 3,
      sid: 'CA3',
      direction: 'outbound-api',
      from: '+61255501234',
      to: '+61412345680',
      status: 'completed',
      duration: 45,
      forwarded_to: null,
      answered_by: null,
      dial_status: null,
      created_at: t(60 * 19),
      has_voicemail: false,
      missed: false,
      recordings: [],
    },
  ];
  d.voicemails = [
    {
      download_failed: false,
      number_id: 1,
      contact_name: '',
      id: 1,
      recording_sid: 'RE1',
      call_sid: 'CA2',
      from: '+61412345680',
      duration: 12,
      path: 'recordings/RE1.wav',
      sha256: null,
      content_type: 'audio/wav',
      transcription: 'Hi, it\u2019s Priya, could you call me back about the birthday order? Thanks.',
      transcription_status: 'completed',
      transcript_state: 'done',
      listened: false,
      created_at: t(60 * 20),
      download_error: null,
    },
  ];
  d.templates = [
    {
      id: 1,
      name: 'Order ready',
      body: 'Hi {{first_name}}, your order is ready for pickup. See you soon!',
      variables: ['first_name'],
    },
    {
      id: 2,
      name: 'Weekend special',
      body: 'Hi {{first_name}}, this weekend: {{offer}}. Reply STOP to opt out.',
      variables: ['first_name', 'offer'],
    },
  ];
  d.audio = silentWav(2);
  return d;
}

/** A valid WAV of `seconds` of silence (8 kHz mono), so the player has a real duration. */
export function silentWav(seconds: number): ArrayBuffer {
  const rate = 8000;
  const samples = rate * seconds;
  const buf = new ArrayBuffer(44 + samples);
  const v = new DataView(buf);
  const str = (o: number, s: string) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
  str(0, 'RIFF');
  v.setUint32(4, 36 + samples, true);
  str(8, 'WAVE');
  str(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate, true);
  v.setUint16(32, 1, true);
  v.setUint16(34, 8, true);
  str(36, 'data');
  v.setUint32(40, samples, true);
  for (let i = 0; i < samples; i++) v.setUint8(44 + i, 128);
  return buf;
}

export function simMessage(direction: string, from: string, to: string, body: string): T.SimPhoneMessage {
  return {
    sid: `SM${Math.random().toString(16).slice(2)}`,
    from,
    to,
    body,
    status: direction === 'inbound' ? 'received' : 'delivered',
    direction,
    media_urls: [],
    error_code: null,
    date_created: new Date().toUTCString(),
  };
}

type Purpose = 'export_target' | 'attachment' | 'compliance_document' | 'contacts_import';

/** Where a US number's registration (10DLC) or verification (toll-free) stands, and why in
 *  words: none yet, done, failed (Twilio's reason), or on its way. */
function usState(
  started: boolean,
  done: boolean,
  failed: boolean,
  reason: string | null | undefined,
  word: 'registered' | 'verified',
): { state: T.RegistrationState; detail: string } {
  const state = !started ? 'not_registered' : done ? 'registered' : failed ? 'failed' : 'in_progress';
  const fallback =
    state === 'registered'
      ? `${word[0].toUpperCase()}${word.slice(1)}.`
      : `US carriers block texts until it is ${word}.`;
  return { state, detail: reason ?? fallback };
}

function notChosen(): T.AppError {
  return {
    code: 'path_not_chosen',
    message: "that file was not chosen here; choose the file again in Switchboard's own file dialog",
  };
}

function notFound(what: string): T.AppError {
  return { code: 'not_found', message: `${what} not found` };
}

export class FakeBackend implements Backend {
  d: FakeData;
  private listeners = new Set<(e: T.CoreEvent) => void>();
  /** The opt-out ledger of what the owner changed by hand in this session (store::optouts). */
  private optOutLedger: T.OptOutEvent[] = [];
  private campaigns = new Map<number, T.CampaignProgress>();
  /** What the fake was asked to do, for assertions. */
  calls: { method: string; args: unknown[] }[] = [];
  /** Like the core's PickedPaths: what the "dialog" granted, by token, and for what. */
  private granted = new Map<string, { purpose: Purpose; path: string }>();
  private grantSeq = 0;

  constructor(data: Partial<FakeData> = {}) {
    this.d = { ...emptyData(), ...data };
  }

  private log(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
  }
  /** Whether the fake was asked to do `method` at all (e.g. nothing before a confirmation). */
  called(method: keyof Backend): boolean {
    return this.calls.some((c) => c.method === method);
  }
  emit(e: T.CoreEvent) {
    this.listeners.forEach((l) => l(e));
  }
  /** How many listen to the events (tests wait for the app to listen before emitting). */
  listenerCount() {
    return this.listeners.size;
  }
  private grant(purpose: Purpose, path: string, bytes = 48_000): T.PickedFile {
    const token = `grant-${++this.grantSeq}`;
    this.granted.set(token, { purpose, path });
    return { token, name: path.split('/').pop() ?? path, path, bytes };
  }
  /** What the attachment "dialog" returns next (tests set it): paths and sizes. */
  attachmentsToPick: { path: string; bytes: number }[] = [{ path: '/home/owner/Pictures/cake.png', bytes: 48_000 }];
  /** The path behind `token` if it was granted for `purpose`; refuses anything else, as the core does. */
  private resolve(token: string, purpose: Purpose): string {
    const g = this.granted.get(token);
    if (!g || g.purpose !== purpose) throw notChosen();
    return g.path;
  }
  private nextId(list: { id: number }[]) {
    return list.reduce((m, x) => Math.max(m, x.id), 0) + 1;
  }

  async appInfo() {
    return this.d.info;
  }
  async inboxPainted() {
    this.log('inboxPainted');
  }

  async listConversations(
    opts: { unreadOnly?: boolean; state?: T.ConversationState | null; before?: [string, number] | null } = {},
  ) {
    // As store::conversations::list: newest first (ties by id), a page after `before`.
    return this.d.conversations
      .filter((c) => !opts.unreadOnly || c.unread > 0)
      .filter((c) => !opts.state || c.state === opts.state)
      .filter((c) => !opts.before || sortsAfter(sortKey(c), opts.before))
      .sort((a, b) => (sortsAfter(sortKey(a), sortKey(b)) ? 1 : -1))
      .slice(0, PAGE);
  }
  async startConversation(withWhom: T.StartWith, numberId: number | null = null) {
    this.log('startConversation', withWhom, numberId);
    const number = numberId == null ? this.d.numbers[0] : this.d.numbers.find((n) => n.id === numberId);
    if (!number) throw { code: 'invalid_input', message: 'add one of your Twilio numbers first (Numbers)' };
    let customer: string;
    let contact: T.Contact | undefined;
    if ('contact' in withWhom) {
      contact = this.d.contacts.find((c) => c.id === withWhom.contact);
      if (!contact) throw notFound(`contact ${withWhom.contact}`);
      const latest = this.d.conversations.find((v) => v.contact_id === contact!.id);
      if (latest) return latest;
      customer = contact.phones[0] ?? contact.email ?? '';
      if (!customer)
        throw { code: 'invalid_input', message: `add a mobile number or an email address to ${contact.name} first` };
    } else {
      const typed = withWhom.phone.replace(/[\s()-]/g, '');
      // National numbers are read in the country of our number (AU in the demo data).
      customer = typed.startsWith('0') && number.e164.startsWith('+61') ? `+61${typed.slice(1)}` : typed;
      if (!/^\+[1-9]\d{6,14}$/.test(customer))
        throw { code: 'invalid_phone_number', message: `${withWhom.phone} is not a valid phone number` };
      contact = this.d.contacts.find((c) => c.phones.includes(customer));
    }
    const existing = this.d.conversations.find((v) => v.number_id === number.id && v.customer === customer);
    if (existing) return existing;
    const v: T.ConversationSummary = {
      state: 'open',
      id: this.nextId(this.d.conversations),
      number_id: number.id,
      our_number: number.e164,
      customer,
      contact_id: contact?.id ?? null,
      contact_name: contact?.name ?? '',
      contact_email: contact?.email ?? null,
      reply_channel: customer.includes('@') ? 'email' : 'sms',
      last_message_at: null,
      last_preview: '',
      unread: 0,
      opted_out: contact?.opted_out ?? false,
    };
    this.d.conversations.push(v);
    return v;
  }
  async getConversation(id: number) {
    const c = this.d.conversations.find((x) => x.id === id);
    if (!c) throw notFound(`conversation ${id}`);
    return c;
  }
  async getThread(conversationId: number) {
    return this.d.messages
      .filter((m) => m.conversation_id === conversationId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
  }
  async markConversationRead(id: number) {
    const c = this.d.conversations.find((x) => x.id === id);
    if (c) c.unread = 0;
  }
  async setReplyChannel(id: number, channel: T.Channel) {
    const c = await this.getConversation(id);
    c.reply_channel = channel;
  }
  async searchMessages(query: string) {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    return this.d.messages
      .filter((m) => m.body.toLowerCase().includes(q))
      .map((m) => {
        const c = this.d.conversations.find((x) => x.id === m.conversation_id)!;
        const i = m.body.toLowerCase().indexOf(q);
        const snippet =
          m.body.slice(0, i) + '\u0002' + m.body.slice(i, i + q.length) + '\u0003' + m.body.slice(i + q.length);
        return {
          conversation_id: c.id,
          message_id: m.id,
          customer: c.customer,
          contact_name: c.contact_name,
          snippet,
          created_at: m.created_at,
        };
      });
  }
  async sendMessage(req: SendRequest) {
    this.log('sendMessage', req);
    req.media.forEach((t) => this.resolve(t, 'attachment'));
    if (req.media.length > MMS_MAX_ATTACHMENTS)
      throw { code: 'invalid_input', message: `a text message can carry at most ${MMS_MAX_ATTACHMENTS} attachments` };
    const c = await this.getConversation(req.conversationId);
    if (c.opted_out) throw { code: 'opted_out', message: `${c.customer} has opted out of messages (replied STOP)` };
    const m: T.Message = newMessage({
      id: this.nextId(this.d.messages),
      sid: null,
      conversation_id: c.id,
      direction: 'outbound',
      channel: req.channel,
      from: c.our_number,
      to: req.channel === 'email' ? (c.contact_email ?? '') : c.customer,
      body: req.body,
      status: 'queued',
      num_media: req.media.length,
    });
    req.media.forEach((t) => this.granted.delete(t));
    this.d.messages.push(m);
    c.last_message_at = m.created_at;
    c.last_preview = m.body;
    this.d.simInbox.push(simMessage('outbound-api', c.our_number, c.customer, m.body));
    setTimeout(() => {
      m.status = 'delivered';
      this.emit({ type: 'message_updated', conversation_id: c.id, message_id: m.id, status: 'delivered' });
    }, 300);
    return m;
  }
  async retryMessage(messageId: number) {
    this.log('retryMessage', messageId);
    const m = this.d.messages.find((x) => x.id === messageId);
    if (!m) throw notFound(`message ${messageId}`);
    if (!m.retryable)
      throw { code: 'invalid_input', message: 'only a message that failed before Twilio accepted it can be retried' };
    Object.assign(m, {
      status: 'queued',
      error_code: null,
      error_message: null,
      retryable: false,
      remedy: null,
      sid: `SM${String(m.id).padStart(32, '0')}`,
    });
    this.emit({ type: 'message_updated', conversation_id: m.conversation_id, message_id: m.id, status: 'queued' });
    return m;
  }
  async mediaBytes() {
    return this.d.audio;
  }

  async listContacts() {
    return [...this.d.contacts].sort((a, b) => a.name.localeCompare(b.name));
  }
  async setOptOut(address: string, optedOut: boolean) {
    this.log('setOptOut', address, optedOut);
    const key = address.includes('@') ? address.trim().toLowerCase() : address.trim();
    const at = now();
    this.d.conversations
      .filter((v) => v.customer === key)
      .forEach((v) => {
        v.opted_out = optedOut;
      });
    for (const c of this.d.contacts.filter((x) => x.phones.includes(key))) {
      const phones = new Set(c.opted_out_phones ?? (c.opted_out ? c.phones : []));
      if (optedOut) phones.add(key);
      else phones.delete(key);
      c.opted_out_phones = [...phones];
      c.opted_out = phones.size > 0;
      c.opted_out_at = c.opted_out ? at : null;
      c.opt_out_source = c.opted_out ? 'by hand' : null;
      this.emit({ type: 'contact_updated', contact_id: c.id });
    }
    const e: T.OptOutEvent = {
      id: this.optOutLedger.length + 1,
      address: key,
      channel: key.includes('@') ? 'email' : 'sms',
      opted_out: optedOut,
      at,
      reason: 'by hand',
      source: 'owner',
      message_sid: null,
    };
    this.optOutLedger.unshift(e);
    return e;
  }
  /** As store::optouts::history: the address's own ledger, newest first (a STOP the demo
   * data starts with is its first entry). */
  async optOutHistory(address: string) {
    const seeded: T.OptOutEvent[] = this.d.contacts
      .filter(
        (c) => c.phones.includes(address) && (c.opted_out_phones ?? (c.opted_out ? c.phones : [])).includes(address),
      )
      .map((c) => ({
        id: -c.id,
        address,
        channel: 'sms',
        opted_out: true,
        at: c.opted_out_at ?? now(),
        reason: 'STOP',
        source: 'webhook',
        message_sid: null,
      }));
    const own = this.optOutLedger.filter((e) => e.address === address);
    return own.length ? own : seeded;
  }
  async setAutoReplyWindow(hours: number) {
    this.log('setAutoReplyWindow', hours);
    if (!Number.isInteger(hours) || hours < 1 || hours > 168)
      throw {
        code: 'invalid_input',
        message: `the auto-reply window is between 1 and 168 hours (a week), not ${hours}`,
      };
    this.d.settings.auto_reply_window_hours = hours;
  }
  async saveContact(id: number | null, edit: T.ContactEdit) {
    this.log('saveContact', id, edit);
    for (const p of edit.phones)
      if (!/^\+[1-9]\d{6,14}$/.test(p))
        throw { code: 'invalid_phone_number', message: `${p} is not a valid phone number` };
    if (edit.email && !edit.email.includes('@'))
      throw { code: 'invalid_input', message: `"${edit.email}" is not an email address` };
    if (id == null) {
      const c = newContact(this.nextId(this.d.contacts), edit);
      this.d.contacts.push(c);
      return c;
    }
    const c = this.d.contacts.find((x) => x.id === id);
    if (!c) throw notFound(`contact ${id}`);
    Object.assign(c, edit);
    this.d.conversations
      .filter((v) => v.contact_id === id)
      .forEach((v) => {
        v.contact_name = c.name;
        v.contact_email = c.email;
      });
    return c;
  }

  /** Pages of `CALL_PAGE`, newest first, as store/calls.rs::page. */
  async listCalls(missedOnly: boolean, after: T.CallCursor | null): Promise<T.CallPage> {
    this.log('listCalls', missedOnly, after);
    const key = (c: { created_at: string; id: number }) => [c.created_at, c.id] as const;
    const older = (a: readonly [string, number], b: readonly [string, number]) =>
      a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
    const sorted = [...this.d.calls].sort((a, b) => (older(key(a), key(b)) ? 1 : older(key(b), key(a)) ? -1 : 0));
    const rows = sorted.filter((c) => (!missedOnly || c.missed) && (after === null || older(key(c), key(after))));
    const calls = rows.slice(0, CALL_PAGE);
    const last = calls[calls.length - 1];
    return { calls, next: rows.length > CALL_PAGE && last ? { created_at: last.created_at, id: last.id } : null };
  }
  async startCall(numberId: number, to: string) {
    this.log('startCall', numberId, to);
    const n = this.d.numbers.find((x) => x.id === numberId);
    if (!n) throw notFound(`number ${numberId}`);
    const call: T.Call = {
      number_id: n.id,
      customer: to,
      contact_name: this.d.contacts.find((c) => c.phones.includes(to))?.name ?? '',
      outcome: 'outgoing',
      id: this.nextId(this.d.calls),
      sid: `CA${Date.now()}`,
      direction: 'outbound-api',
      from: n.e164,
      to,
      status: 'queued',
      duration: null,
      forwarded_to: null,
      answered_by: null,
      dial_status: null,
      created_at: now(),
      has_voicemail: false,
      missed: false,
      recordings: [],
    };
    this.d.calls.unshift(call);
    return call;
  }
  async listVoicemails() {
    return this.d.voicemails;
  }
  async unheardVoicemailCount() {
    return this.d.voicemails.filter((v) => !v.listened).length;
  }
  async voicemailAudio(id: number) {
    const v = this.d.voicemails.find((x) => x.id === id);
    if (!v?.path) throw notFound('the recording file (not downloaded yet)');
    return this.d.audio.slice(0);
  }
  async setVoicemailListened(id: number, listened: boolean) {
    const v = this.d.voicemails.find((x) => x.id === id);
    if (v) v.listened = listened;
  }
  async deleteVoicemail(id: number) {
    this.log('deleteVoicemail', id);
    this.d.voicemails = this.d.voicemails.filter((x) => x.id !== id);
  }

  async listNumbers() {
    return this.d.numbers;
  }
  async updateNumberSettings(id: number, friendlyName: string, settings: T.NumberSettings) {
    this.log('updateNumberSettings', id, friendlyName, settings);
    const n = this.d.numbers.find((x) => x.id === id);
    if (!n) throw notFound(`number ${id}`);
    const window = settings.text_back_window_hours ?? 12;
    if (window < 1 || window > 168)
      throw { code: 'invalid_input', message: 'the text-back window must be between 1 and 168 hours' };
    if (settings.ring_seconds < 5 || settings.ring_seconds > 120)
      throw { code: 'invalid_input', message: 'ring time must be between 5 and 120 seconds' };
    if (settings.forwarding_number && !/^\+[1-9]\d{6,14}$/.test(settings.forwarding_number))
      throw { code: 'invalid_phone_number', message: `${settings.forwarding_number} is not a valid phone number` };
    if (this.d.numbers.some((x) => x.e164 === settings.forwarding_number))
      throw {
        code: 'invalid_input',
        message: `${settings.forwarding_number} is one of your business numbers: forward to the phone you carry, such as your mobile`,
      };
    n.friendly_name = friendlyName;
    n.settings = structuredClone(settings);
    return n;
  }
  async callFlowNotes(): Promise<T.ClosedNotes> {
    return {
      text_back:
        "While Switchboard is closed, Twilio sends the text-back itself after every missed call: Twilio's side cannot remember earlier calls, so a caller who rings twice while the app is closed gets it twice, even within the hours set here. A number that replied STOP still gets nothing (Twilio refuses to text it), and a blocked number's calls are refused. When Switchboard opens again, those texts appear in the customers' threads and count towards the hours set here; it never sends a second one for those calls.",
      hours:
        'While Switchboard is closed, Twilio checks your hours with the offset from when the app last updated the flow.',
      screening: 'While Switchboard is closed, any key you press takes a screened call (not only 1).',
    };
  }
  async searchAvailableNumbers(q: { country: string; numberType: string; areaCode: string }) {
    this.log('searchAvailableNumbers', q);
    return this.d.available;
  }
  async buyNumber(e164: string) {
    this.log('buyNumber', e164);
    const n: T.PhoneNumber = {
      id: this.nextId(this.d.numbers),
      e164,
      sid: `PN${Date.now()}`,
      friendly_name: e164,
      managed: true,
      seen_in_webhook: false,
      settings: defaultSettings(),
      wired_url: this.d.tunnel.state.state === 'online' ? this.d.tunnel.state.url : null,
      wired_at: now(),
      wiring_error: null,
    };
    this.d.numbers.push(n);
    this.d.available = this.d.available.filter((a) => a.e164 !== e164);
    return n;
  }
  async stopManagingNumber(id: number) {
    this.log('stopManagingNumber', id);
    const n = this.d.numbers.find((x) => x.id === id);
    if (!n) throw notFound(`number ${id}`);
    n.managed = false;
    n.wired_url = null;
    return this.d.numbers;
  }
  async releaseNumber(id: number) {
    this.log('releaseNumber', id);
    this.d.numbers = this.d.numbers.filter((n) => n.id !== id);
  }

  async listTemplates() {
    return this.d.templates;
  }
  async saveTemplate(id: number | null, name: string, body: string) {
    if (!name.trim() || !body.trim()) throw { code: 'invalid_input', message: 'a template needs a name and a text' };
    if (id == null) {
      const t: T.Template = { id: this.nextId(this.d.templates), name: name.trim(), body, variables: variables(body) };
      this.d.templates.push(t);
      return t;
    }
    const t = this.d.templates.find((x) => x.id === id);
    if (!t) throw notFound(`template ${id}`);
    Object.assign(t, { name: name.trim(), body, variables: variables(body) });
    return t;
  }
  async deleteTemplate(id: number) {
    this.d.templates = this.d.templates.filter((t) => t.id !== id);
  }
  async previewBulk(choice: T.BulkChoice) {
    const { template_id: templateId, contact_ids: contactIds, vars, per_contact: perContact, tags } = choice;
    const t = this.d.templates.find((x) => x.id === templateId);
    if (!t) throw notFound(`template ${templateId}`);
    const out: T.BulkPreview = { recipients: [], skipped_opted_out: 0, problems: [] };
    // As the core: the contacts chosen and everyone with one of `tags`, each once.
    const inAudience = (x: T.Contact) => contactIds.includes(x.id) || (x.tags ?? []).some((g) => tags?.includes(g));
    for (const c of this.d.contacts.filter(inAudience)) {
      if (c.opted_out) {
        out.skipped_opted_out += 1;
        continue;
      }
      if (!c.phones[0]) {
        out.problems.push({ contact_id: c.id, name: c.name, reason: 'has no phone number' });
        continue;
      }
      // As outbound::campaign::contact_vars: the contact's names, shared values, then own non-blank values.
      const own = Object.entries(perContact?.[c.id] ?? {}).filter(([, v]) => v.trim());
      const r = render(t.body, {
        name: c.name,
        first_name: c.name.split(/\s+/)[0] ?? '',
        ...vars,
        ...Object.fromEntries(own),
      });
      if (r.ok) out.recipients.push({ contact_id: c.id, name: c.name, to: c.phones[0], body: r.text });
      else
        out.problems.push({
          contact_id: c.id,
          name: c.name,
          reason: `the template needs a value for ${r.missing.join(', ')}`,
        });
    }
    return out;
  }
  async startBulk(numberId: number, choice: T.BulkChoice) {
    this.log('startBulk', numberId, choice);
    const p = await this.previewBulk(choice);
    const id = this.campaigns.size + 1;
    this.campaigns.set(id, {
      id,
      state: 'running',
      total: p.recipients.length + p.skipped_opted_out,
      sent: 0,
      failed: 0,
      skipped: p.skipped_opted_out,
    });
    this.sendNext(id);
    return id;
  }
  /** As the core's runner: one recipient every 300 ms, each announced by a progress event. */
  private sendNext(id: number) {
    setTimeout(() => {
      const c = this.campaigns.get(id);
      if (!c || c.state !== 'running') return;
      const pending = () => c.total - c.sent - c.skipped - c.failed;
      if (pending() > 0) c.sent += 1;
      if (pending() <= 0) c.state = 'done';
      this.emit({
        type: 'campaign_progress',
        campaign_id: id,
        sent: c.sent,
        skipped: c.skipped,
        failed: c.failed,
        pending: pending(),
        state: c.state,
      });
      this.sendNext(id);
    }, 300);
  }
  async campaignProgress(id: number) {
    const c = this.campaigns.get(id);
    if (!c) throw notFound(`campaign ${id}`);
    return { ...c };
  }
  async pauseCampaign(id: number) {
    const c = this.campaigns.get(id);
    if (c) c.state = 'paused';
  }
  async resumeCampaign(id: number) {
    const c = this.campaigns.get(id);
    if (c?.state === 'paused') {
      c.state = 'running';
      this.sendNext(id);
    }
  }

  // US carrier registration: a fake that moves one step per call, as polling would.
  usRegs: T.UsRegistration[] = [];
  tollfree: T.TollfreeRecord[] = [];

  private usKind(e164: string): T.UsSenderKind {
    const m = /^\+1(\d{3})\d{7}$/.exec(e164);
    if (!m) return 'not_nanp';
    return ['800', '833', '844', '855', '866', '877', '888'].includes(m[1]) ? 'toll_free' : 'local10dlc';
  }
  async usNumbersStatus() {
    return this.d.numbers.map((n): T.NumberUsStatus => {
      const kind = this.usKind(n.e164);
      const reg = this.usRegs.find((r) => r.numbers.some((x) => x.e164 === n.e164));
      const tf = this.tollfree.find((t) => t.e164 === n.e164);
      const { state, detail } =
        kind === 'local10dlc'
          ? usState(!!reg, reg?.step === 'done', reg?.step === 'failed', reg?.failure_reason, 'registered')
          : kind === 'toll_free'
            ? usState(
                !!tf,
                tf?.status === 'TWILIO_APPROVED',
                tf?.status === 'TWILIO_REJECTED',
                tf?.rejection_reason,
                'verified',
              )
            : { state: 'not_needed' as const, detail: 'Not a US number.' };
      return {
        e164: n.e164,
        kind,
        state,
        can_send_to_us: state === 'registered',
        registration_id: reg?.id ?? null,
        detail,
      };
    });
  }
  async listUsRegistrations() {
    return this.usRegs;
  }
  async startUsRegistration(kind: T.BrandKind, details: T.BusinessDetails, numbers: string[]) {
    this.log('startUsRegistration', kind, details, numbers);
    if (!details.business_name.trim()) throw { code: 'invalid_input', message: 'the business name is required' };
    const r: T.UsRegistration = {
      id: this.nextId(this.usRegs),
      brand_kind: kind,
      details,
      campaign_form: null,
      numbers: numbers.map((e164) => ({ e164, sid: 'PN' + '0'.repeat(32), added: false })),
      step: kind === 'sole_proprietor' ? 'brand_otp' : 'brand_review',
      customer_profile_sid: null,
      customer_profile_status: 'twilio-approved',
      trust_product_sid: null,
      trust_product_status: 'twilio-approved',
      brand_sid: null,
      brand_status: 'PENDING',
      identity_status: null,
      messaging_service_sid: null,
      campaign_sid: null,
      campaign_status: null,
      failure_reason: null,
      pending_create: null,
      last_error: null,
      created_at: now(),
      updated_at: now(),
    };
    this.usRegs.push(r);
    return r;
  }
  private usReg(id: number) {
    const r = this.usRegs.find((x) => x.id === id);
    if (!r) throw notFound(`US registration ${id}`);
    return r;
  }
  async advanceUsRegistration(id: number) {
    const r = this.usReg(id);
    // A Sole Proprietor's brand waits for the owner's reply to the code (simReplyBrandOtp).
    if (r.step === 'brand_review') {
      r.brand_status = 'APPROVED';
      r.numbers = r.numbers.map((n) => ({ ...n, added: true }));
      r.step = 'campaign';
    } else if (r.step === 'campaign_review') {
      r.campaign_status = 'VERIFIED';
      r.step = 'done';
    }
    return r;
  }
  async suggestUsCampaign(id: number) {
    const r = this.usReg(id);
    const name = r.details.business_name;
    const form: T.CampaignForm = {
      usecase: r.brand_kind === 'sole_proprietor' ? 'SOLE_PROPRIETOR' : 'LOW_VOLUME',
      description: `${name} texts its own customers about their appointments, orders and questions.`,
      message_flow: `Customers give ${name} their mobile number when they book and agree to receive texts.`,
      message_samples: this.d.templates.slice(0, 5).map((t) => `${name}: ${t.body} Reply STOP to opt out.`),
      has_embedded_links: false,
      has_embedded_phone: false,
      opt_in_message: null,
    };
    return form;
  }
  async setUsCampaign(id: number, form: T.CampaignForm) {
    this.log('setUsCampaign', id, form);
    const r = this.usReg(id);
    if (form.message_samples.length < 2) throw { code: 'invalid_input', message: 'give two to five sample messages' };
    r.campaign_form = form;
    r.campaign_status = 'IN_PROGRESS';
    r.step = 'campaign_review';
    return r;
  }
  async resendUsOtp(id: number) {
    this.log('resendUsOtp', id);
    return this.usReg(id);
  }
  async submitTollfreeVerification(e164: string, form: T.NewTollfreeVerification) {
    this.log('submitTollfreeVerification', e164, form);
    if (this.usKind(e164) !== 'toll_free')
      throw { code: 'invalid_input', message: `${e164} is not a toll-free number` };
    const rec: T.TollfreeRecord = {
      id: this.nextId(this.tollfree),
      e164,
      phone_number_sid: form.tollfree_phone_number_sid,
      form,
      verification_sid: 'HH' + '0'.repeat(32),
      status: 'PENDING_REVIEW',
      rejection_reason: null,
      error_code: null,
      pending_create: false,
      last_error: null,
      updated_at: now(),
    };
    this.tollfree = [...this.tollfree.filter((t) => t.e164 !== e164), rec];
    return rec;
  }
  async getTollfreeVerification(e164: string) {
    return this.tollfree.find((t) => t.e164 === e164) ?? null;
  }

  async listCompliance() {
    return this.d.compliance;
  }
  async submitCompliance(id: number) {
    const c = this.d.compliance.find((x) => x.id === id);
    if (!c) throw notFound(`compliance ${id}`);
    if (c.form) {
      submitFormRecord(c);
      return { ...c };
    }
    const results: T.EvaluationResult[] = [
      {
        field: 'business_name',
        requirement: null,
        error_code: null,
        passed: !!c.business_name,
        reason: c.business_name ? '' : 'required',
      },
      {
        field: 'address',
        requirement: null,
        error_code: null,
        passed: !!c.address?.street,
        reason: c.address?.street ? '' : 'a street address is required',
      },
      {
        field: 'document',
        requirement: null,
        error_code: null,
        passed: !!c.document_path,
        reason: c.document_path ? '' : 'a registration document is required',
      },
    ];
    c.evaluation = { status: results.every((r) => r.passed) ? 'compliant' : 'noncompliant', source: null, results };
    c.status = results.every((r) => r.passed) ? 'pending-review' : 'draft';
    c.bundle_sid = c.status === 'pending-review' ? `BU${Date.now()}` : null;
    return c;
  }

  // Regulation-driven compliance (lib/fake-compliance.ts).
  async complianceForm(country: string, numberType: string, endUserType: string) {
    const f = fakeRegulation(country, numberType, endUserType);
    if (!f) throw { code: 'invalid_input', message: `Twilio has no regulation for ${country} ${numberType} numbers` };
    return f;
  }
  private formFiles(input: T.ComplianceFormInput) {
    const files: Record<string, string> = {};
    for (const d of input.documents ?? [])
      if (d.file) files[d.requirement_name] = this.resolve(d.file, 'compliance_document');
    for (const d of input.documents ?? []) if (d.file) this.granted.delete(d.file);
    return files;
  }
  async startComplianceForm(country: string, numberType: string, endUserType: string, input: T.ComplianceFormInput) {
    this.log('startComplianceForm', country, numberType, endUserType, input);
    const form = await this.complianceForm(country, numberType, endUserType);
    const c = newFormRecord(
      this.nextId(this.d.compliance),
      form,
      mergeAnswers(null, input, this.formFiles(input)),
      null,
      null,
    );
    this.d.compliance.unshift(c);
    return c;
  }
  async updateComplianceForm(id: number, input: T.ComplianceFormInput) {
    this.log('updateComplianceForm', id, input);
    const c = this.d.compliance.find((x) => x.id === id);
    if (!c?.form) throw notFound(`compliance ${id}`);
    if (c.status !== 'draft' && c.status !== 'noncompliant')
      throw { code: 'invalid_input', message: `this registration is ${c.status}; copy it to correct it` };
    const next = newFormRecord(id, c.form, mergeAnswers(c.answers, input, this.formFiles(input)), c.copied_from, null);
    Object.assign(c, { ...next, status: c.status });
    return { ...c };
  }
  async copyComplianceForResubmission(id: number) {
    this.log('copyComplianceForResubmission', id);
    const c = this.d.compliance.find((x) => x.id === id);
    if (!c?.form || !c.answers) throw notFound(`compliance ${id}`);
    const copy = newFormRecord(this.nextId(this.d.compliance), c.form, structuredClone(c.answers), id, c.evaluation);
    this.d.compliance.unshift(copy);
    return copy;
  }
  async refreshCompliance() {
    return this.d.compliance;
  }
  async simReplyBrandOtp(mobile: string, text: string) {
    this.log('simReplyBrandOtp', mobile, text);
    const r = this.usRegs.find((x) => x.step === 'brand_otp' && x.details.mobile === mobile);
    if (!r || !/^\d{6}$/.test(text)) return false;
    r.brand_status = 'APPROVED';
    r.step = 'brand_review';
    return true;
  }
  async refreshTollfreeVerification(e164: string) {
    return this.getTollfreeVerification(e164);
  }

  async getSettings() {
    return this.d.settings;
  }
  async setNotifications(enabled: boolean) {
    this.d.settings.notifications = enabled;
  }
  async setAutostart(enabled: boolean) {
    if (this.d.settings.sandbox)
      throw {
        code: 'invalid_input',
        message: 'start at login is set from your real Switchboard, not from the sandbox',
      };
    this.d.settings.autostart = enabled;
  }
  async setTrayKeepsWindow(keep: boolean) {
    this.d.settings.tray_keeps_window = keep;
  }
  async exportData(target: string, format: string) {
    this.log('exportData', target, format);
    this.resolve(target, 'export_target');
    this.granted.delete(target);
  }
  async emailReplySubject(conversationId: number) {
    this.log('emailReplySubject', conversationId);
    const ours = this.d.messages.filter((m) => m.conversation_id === conversationId && m.channel === 'email');
    return ours.length ? 'Re: Your appointment' : 'Message from Harbour Street Clinic';
  }
  async credentialsStatus() {
    return this.d.credentials;
  }
  async awaySummary() {
    return null;
  }
  async reconcileStatus() {
    return this.d.reconcile;
  }
  async testWebhooks() {
    this.log('testWebhooks');
    return this.d.tunnel.state.state === 'online'
      ? { ok: true, message: 'Webhooks reach Switchboard' }
      : { ok: false, message: 'No public URL yet: the tunnel is not online' };
  }
  async saveEmailSettings(apiKey: string, from: string) {
    this.log('saveEmailSettings', { from });
    if (!apiKey.trim() || !from.includes('@'))
      throw { code: 'invalid_input', message: 'enter the Resend API key and a sender address' };
  }
  async removeCredentials(restoreNumbers: boolean) {
    this.log('removeCredentials', restoreNumbers);
    if (restoreNumbers)
      this.d.numbers.forEach((n) => {
        n.managed = false;
        n.wired_url = null;
      });
    this.d.credentials = { ...this.d.credentials, twilio: false, account_hint: null, ngrok: false };
  }
  async checkTwilioCredentials(accountSid: string, authToken: string) {
    this.log('checkTwilioCredentials', accountSid);
    if (!/^AC[0-9a-f]{32}$/i.test(accountSid))
      throw { code: 'invalid_input', message: 'An Account SID starts with AC followed by 32 letters and digits.' };
    if (authToken.length !== 32)
      throw {
        code: 'twilio',
        message:
          'Twilio did not accept this Auth Token (error 20003: authentication failed). Copy it again from the Twilio Console.',
      };
    return {
      account_name: 'My Twilio account',
      numbers: this.d.numbers.map((n) => ({ sid: n.sid ?? '', e164: n.e164, friendly_name: n.friendly_name })),
    };
  }
  async saveCredentials(accountSid: string) {
    this.log('saveCredentials', accountSid);
    this.d.credentials = {
      sandbox: false,
      twilio: true,
      account_hint: accountSid.slice(-4),
      ngrok: this.d.credentials.ngrok,
    };
  }
  async configureTunnel(config: T.TunnelConfig) {
    this.log('configureTunnel', config);
    if (config.kind === 'manual' && !/^https?:\/\//.test(config.url))
      throw { code: 'invalid_input', message: 'the public URL must start with https://' };
    this.d.tunnel =
      config.kind === 'manual'
        ? { kind: 'manual', state: { state: 'online', kind: 'manual', url: config.url } }
        : { kind: 'ngrok', state: { state: 'online', kind: 'ngrok', url: 'https://example.ngrok-free.app' } };
    return this.d.tunnel;
  }
  async tunnelStatus() {
    return this.d.tunnel;
  }
  async manageNumbers(sids: string[]) {
    this.log('manageNumbers', sids);
    this.d.numbers.forEach((n) => (n.managed = sids.includes(n.sid ?? '')));
    return this.d.numbers;
  }
  async openSandbox() {
    this.log('openSandbox');
  }

  async simCustomerText(from: string, body: string, withImage: boolean) {
    this.log('simCustomerText', from, body, withImage);
    const number = this.d.numbers[0];
    if (!number) throw notFound('a sandbox number');
    let c = this.d.conversations.find((x) => x.customer === from);
    if (!c) {
      const contact = this.d.contacts.find((x) => x.phones.includes(from));
      c = {
        state: 'open',
        id: this.nextId(this.d.conversations),
        number_id: number.id,
        our_number: number.e164,
        customer: from,
        contact_id: contact?.id ?? null,
        contact_name: contact?.name ?? '',
        contact_email: contact?.email ?? null,
        reply_channel: 'sms',
        last_message_at: null,
        last_preview: '',
        unread: 0,
        opted_out: false,
      };
      this.d.conversations.push(c);
    }
    const m: T.Message = newMessage({
      id: this.nextId(this.d.messages),
      sid: `SM${Date.now()}`,
      conversation_id: c.id,
      direction: 'inbound',
      from,
      to: number.e164,
      body,
      status: 'received',
      num_media: withImage ? 1 : 0,
      media: withImage
        ? [
            {
              id: Date.now(),
              idx: 0,
              content_type: 'image/png',
              path: 'media/sim.png',
              sha256: null,
              bytes: 68,
              download_error: null,
              download_failed: false,
            },
          ]
        : [],
    });
    this.d.messages.push(m);
    c.last_message_at = m.created_at;
    c.last_preview = body;
    c.unread += 1;
    if (/^\s*(stop|unsubscribe|end|quit|stopall|revoke|optout|cancel)\s*$/i.test(body)) c.opted_out = true;
    this.d.simInbox.push(simMessage('inbound', from, number.e164, body));
    this.emit({ type: 'message_received', conversation_id: c.id, message_id: m.id });
  }
  async simCustomerCall(from: string, outcome: string) {
    this.log('simCustomerCall', from, outcome);
    const number = this.d.numbers[0];
    if (!number) throw notFound('a sandbox number');
    const sid = `CA${Date.now()}`;
    this.d.calls.unshift({
      number_id: number.id,
      customer: from,
      contact_name: this.d.contacts.find((c) => c.phones.includes(from))?.name ?? '',
      outcome: outcome === 'answer' ? 'forwarded' : 'missed',
      id: this.nextId(this.d.calls),
      sid,
      direction: 'inbound',
      from,
      to: number.e164,
      status: 'completed',
      duration: outcome === 'answer' ? 40 : 8,
      forwarded_to: number.settings.forwarding_number,
      answered_by: outcome === 'answer' ? 'human' : null,
      dial_status: outcome === 'answer' ? 'completed' : 'no-answer',
      created_at: now(),
      // As sim_customer_call: every call the owner did not take ends in our voicemail.
      has_voicemail: outcome !== 'answer',
      missed: outcome !== 'answer',
      recordings: [],
    });
    this.emit({ type: 'call_updated', call_sid: sid });
    if (outcome !== 'answer') {
      const v: T.Voicemail = {
        download_failed: false,
        number_id: 1,
        contact_name: '',
        id: this.nextId(this.d.voicemails),
        recording_sid: `RE${Date.now()}`,
        call_sid: sid,
        from,
        duration: 2,
        path: 'recordings/sim.wav',
        sha256: null,
        content_type: 'audio/wav',
        transcription: 'This is a test voicemail from the simulated phone.',
        transcription_status: 'completed',
        transcript_state: 'done',
        listened: false,
        created_at: now(),
        download_error: null,
      };
      this.d.voicemails.unshift(v);
      this.emit({ type: 'voicemail_updated', voicemail_id: v.id });
    }
  }
  async simDropWebhooks(on: boolean | null) {
    this.log('simDropWebhooks', on);
    if (on !== null) this.d.dropWebhooks = on;
    return this.d.dropWebhooks;
  }
  // Conversation states, counts and the timeline (store::conversations, store::timeline).
  async inboxCounts(): Promise<T.Counts> {
    const cs = this.d.conversations;
    return {
      unread_messages: cs.reduce((n, c) => n + c.unread, 0),
      unread_conversations: cs.filter((c) => c.unread > 0).length,
      open: cs.filter((c) => c.state === 'open').length,
      done: cs.filter((c) => c.state === 'done').length,
    };
  }
  async setConversationState(id: number, to: T.ConversationState) {
    this.log('setConversationState', id, to);
    const c = this.d.conversations.find((x) => x.id === id);
    if (!c) throw notFound(`conversation ${id}`);
    c.state = to;
    // Done also marks it read: it was dealt with.
    if (to === 'done') c.unread = 0;
    return c;
  }
  async markConversationUnread(id: number) {
    this.log('markConversationUnread', id);
    const c = this.d.conversations.find((x) => x.id === id);
    if (!c) throw notFound(`conversation ${id}`);
    c.unread = Math.max(c.unread, 1);
  }
  async getTimeline(conversationId: number, before: T.Cursor | null): Promise<T.Page> {
    const c = this.d.conversations.find((x) => x.id === conversationId);
    if (!c) throw notFound(`conversation ${conversationId}`);
    // As store::timeline::page: this number's calls and voicemails with this customer,
    // ordered by (time, kind, id), a page of the newest older than `before`.
    const ours = (n: number | null) => n === null || n === c.number_id;
    const items: T.Item[] = [
      ...this.d.messages.filter((m) => m.conversation_id === c.id).map((m) => ({ kind: 'message' as const, ...m })),
      ...this.d.calls
        .filter((x) => x.customer === c.customer && ours(x.number_id))
        .map((x) => ({ kind: 'call' as const, ...x })),
      ...this.d.voicemails
        .filter((v) => v.from === c.customer && ours(v.number_id))
        .map((v) => ({ kind: 'voicemail' as const, ...v })),
    ];
    const older = items
      .filter((i) => !before || compareCursor(cursorOf(i), before) < 0)
      .sort((a, b) => compareCursor(cursorOf(a), cursorOf(b)));
    const page = older.slice(-this.timelinePage);
    const first = page[0];
    return {
      items: page,
      before:
        older.length > this.timelinePage && first ? { at: first.created_at, kind: first.kind, id: first.id } : null,
    };
  }
  async textBack(from: T.TextBack) {
    this.log('textBack', from);
    const found =
      'call' in from && from.call !== undefined
        ? this.d.calls.find((x) => x.id === from.call)
        : this.d.voicemails.find((v) => v.id === from.voicemail);
    if (!found) throw notFound('the call or voicemail');
    const customer = 'customer' in found ? found.customer : found.from;
    if (!customer.startsWith('+'))
      throw { code: 'invalid_input', message: `${customer} is not a phone number that can receive texts` };
    return this.startConversation({ phone: customer }, found.number_id);
  }
  async retryDownload(of: T.DownloadOf) {
    this.log('retryDownload', of);
    // As media::retry_download: queued again (no longer given up), or refused when there is nothing to retry.
    const again = (
      x: { download_error: string | null; download_failed?: boolean } | undefined,
      path?: string | null,
    ) => {
      if (!x || path) throw { code: 'invalid_input', message: 'there is no failed download to retry here' };
      x.download_error = null;
      if ('download_failed' in x) x.download_failed = false;
    };
    if ('media' in of && of.media !== undefined) {
      const m = this.d.messages.flatMap((x) => x.media).find((x) => x.id === of.media);
      again(m, m?.path);
    } else if ('voicemail' in of && of.voicemail !== undefined) {
      const v = this.d.voicemails.find((x) => x.id === of.voicemail);
      again(v, v?.path);
    } else if ('recording' in of) {
      const r = this.d.calls.flatMap((c) => c.recordings).find((x) => x.id === of.recording);
      if (!r || r.path) throw { code: 'invalid_input', message: 'there is no failed download to retry here' };
      Object.assign(r, { download: 'downloading', download_error: null });
    }
  }
  async recordingAudio(id: number) {
    const r = this.d.calls.flatMap((c) => c.recordings).find((x) => x.id === id);
    if (!r?.path) throw notFound('the recording\u2019s audio (not downloaded yet)');
    return this.d.audio.slice(0);
  }
  /** The timeline's page size (the core's default is 50; tests make it small to page). */
  timelinePage = 50;
  // Contacts at scale (addressbook, store::tags, store::blocked). The CSV import reads a
  // file on the owner's disk, which only the desktop app can do.
  async previewContactsImport(token: string, options: T.ImportOptions | null): Promise<T.ImportPreview> {
    this.log('previewContactsImport', token, options);
    this.resolve(token, 'contacts_import');
    throw { code: 'invalid_input', message: 'importing a CSV file needs the desktop app' };
  }
  async importContacts(token: string, options: T.ImportOptions): Promise<T.ImportReport> {
    this.log('importContacts', token, options);
    this.resolve(token, 'contacts_import');
    throw { code: 'invalid_input', message: 'importing a CSV file needs the desktop app' };
  }
  async mergeContacts(into: number, from: number) {
    this.log('mergeContacts', into, from);
    const keep = this.d.contacts.find((c) => c.id === into);
    const gone = this.d.contacts.find((c) => c.id === from);
    if (!keep || !gone || into === from) throw notFound(`contact ${!keep ? into : from}`);
    keep.phones = [...new Set([...keep.phones, ...gone.phones])];
    keep.tags = [...new Set([...(keep.tags ?? []), ...(gone.tags ?? [])])];
    keep.email = keep.email ?? gone.email;
    this.d.contacts = this.d.contacts.filter((c) => c.id !== from);
    for (const c of this.d.conversations) if (c.contact_id === from) c.contact_id = into;
    return keep;
  }
  async deleteContact(id: number) {
    this.log('deleteContact', id);
    if (!this.d.contacts.some((c) => c.id === id)) throw notFound(`contact ${id}`);
    this.d.contacts = this.d.contacts.filter((c) => c.id !== id);
    // The threads stay, shown by number.
    for (const c of this.d.conversations)
      if (c.contact_id === id) Object.assign(c, { contact_id: null, contact_name: '' });
  }
  async setContactTags(id: number, tags: string[]) {
    this.log('setContactTags', id, tags);
    const c = this.d.contacts.find((x) => x.id === id);
    if (!c) throw notFound(`contact ${id}`);
    // As store::tags: kept as written (trimmed), one per spelling ignoring case, alphabetical.
    const kept = new Map<string, string>();
    for (const t of tags.map((x) => x.trim().replace(/\s+/g, ' ')).filter(Boolean))
      if (!kept.has(t.toLowerCase())) kept.set(t.toLowerCase(), t);
    c.tags = [...kept.values()].sort((x, y) => x.localeCompare(y, undefined, { sensitivity: 'base' }));
    return c;
  }
  async listTags() {
    const counts = new Map<string, number>();
    for (const c of this.d.contacts) for (const t of c.tags ?? []) counts.set(t, (counts.get(t) ?? 0) + 1);
    return [...counts].map(([tag, contacts]) => ({ tag, contacts }));
  }
  private blocked: T.Blocked[] = [];
  async setBlocked(address: string, blocked: boolean) {
    this.log('setBlocked', address, blocked);
    const was = this.blocked.some((b) => b.address === address);
    this.blocked = this.blocked.filter((b) => b.address !== address);
    if (blocked) this.blocked.push({ address, blocked_at: now() });
    return was !== blocked;
  }
  async listBlocked() {
    return this.blocked;
  }
  // Campaign history (outbound::history): the fake keeps only the progress of bulk sends.
  async listCampaigns(limit: number | null): Promise<T.CampaignSummary[]> {
    return [...this.campaigns.values()].slice(0, limit ?? 50).map((c) => ({
      id: c.id,
      created_at: now(),
      template_id: null,
      template_name: null,
      from_number: this.d.numbers[0]?.e164 ?? '',
      audience: `${c.total} contacts`,
      state: c.state,
      resend_of: null,
      total: c.total,
      sent: c.sent,
      delivered: 0,
      failed: c.failed,
      skipped: c.skipped,
      pending: c.total - c.sent - c.failed - c.skipped,
      scheduled: 0,
      cancelled: 0,
      cost: { totals: [], unpriced: 0 },
    }));
  }
  async campaignDetail(id: number): Promise<T.CampaignDetail> {
    const summary = (await this.listCampaigns(null)).find((c) => c.id === id);
    if (!summary) throw notFound(`campaign ${id}`);
    return { summary, recipients: [] };
  }
  async cancelCampaign(id: number) {
    this.log('cancelCampaign', id);
    const c = this.campaigns.get(id);
    if (!c) throw notFound(`campaign ${id}`);
    if (c.state === 'done' || c.state === 'cancelled') return false;
    c.state = 'cancelled';
    return true;
  }
  async previewResend(id: number): Promise<T.ResendPlan> {
    const c = this.campaigns.get(id);
    if (!c) throw notFound(`campaign ${id}`);
    return { family: id, count: c.failed, opted_out: 0, unconfirmed: 0 };
  }
  async resendFailed(id: number) {
    this.log('resendFailed', id);
    const plan = await this.previewResend(id);
    if (plan.count === 0) throw { code: 'invalid_input', message: 'nobody to send again to' };
    return id;
  }
  async simPhoneInbox(phone: string) {
    return this.d.simInbox.filter((m) => m.from === phone || m.to === phone);
  }

  async conversationCosts(conversationId: number) {
    return fakeCosts.conversationCosts(this.d.messages, conversationId);
  }
  async monthlyCosts(months: number | null) {
    return fakeCosts.monthlyCosts(this.d.messages, months ?? 6);
  }
  async estimateBulk(numberId: number, choice: T.BulkChoice) {
    this.log('estimateBulk', numberId, choice);
    if (!this.d.numbers.some((n) => n.id === numberId)) throw notFound(`number ${numberId}`);
    return fakeCosts.estimate(await this.previewBulk(choice));
  }

  async pickFiles(kind: T.PickKind) {
    this.log('pickFiles', kind);
    if (kind === 'contacts') return [this.grant('contacts_import', '/home/owner/Documents/contacts.csv')];
    return kind === 'image'
      ? this.attachmentsToPick.map((f) => this.grant('attachment', f.path, f.bytes))
      : [this.grant('compliance_document', '/home/owner/Documents/registration.pdf')];
  }
  async pickSavePath(defaultName: string) {
    this.log('pickSavePath', defaultName);
    return this.grant('export_target', `/home/owner/${defaultName}`);
  }
  async openExternal(url: string) {
    if (!openableUrl(url)) throw { code: 'invalid_input', message: 'Only web links (http and https) can be opened.' };
    this.log('openExternal', url);
  }
  // Scheduled messages (outbound::scheduled): held until their time on the fake Twilio's
  // clock (moved by simAdvanceClock), edited or canceled until sent.
  private clockOffset = 0;
  private checkSendAt(sendAt: string) {
    const t = Date.parse(sendAt);
    if (Number.isNaN(t)) throw { code: 'invalid_input', message: `${JSON.stringify(sendAt)} is not a date and time` };
    const ahead = t - Date.now();
    const bounds = 'a message can be scheduled from 15 minutes to 35 days ahead';
    if (ahead < 15 * 60_000) throw { code: 'invalid_input', message: `that time is too soon: ${bounds}` };
    if (ahead > 35 * 86_400_000) throw { code: 'invalid_input', message: `that time is too far ahead: ${bounds}` };
    return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  private schedule(c: T.ConversationSummary, body: string, sendAt: string): T.Message {
    if (c.opted_out) throw { code: 'opted_out', message: `${c.customer} has opted out of messages (replied STOP)` };
    if (!body.trim()) throw { code: 'invalid_input', message: 'the message is empty' };
    const m: T.Message = newMessage({
      send_at: this.checkSendAt(sendAt),
      id: this.nextId(this.d.messages),
      sid: `SM${String(Date.now()).padStart(32, '0')}`,
      conversation_id: c.id,
      direction: 'outbound',
      from: c.our_number,
      to: c.customer,
      body,
      status: 'scheduled',
    });
    this.d.messages.push(m);
    this.emit({ type: 'message_updated', conversation_id: c.id, message_id: m.id, status: 'scheduled' });
    return m;
  }
  private stillScheduled(messageId: number): T.Message {
    const m = this.d.messages.find((x) => x.id === messageId);
    if (!m) throw notFound(`message ${messageId}`);
    if (m.status !== 'scheduled')
      throw {
        code: 'invalid_input',
        message: `only a message still scheduled can be changed; this one is ${m.status}`,
      };
    return m;
  }
  async scheduleMessage(conversationId: number, body: string, sendAt: string) {
    this.log('scheduleMessage', conversationId, body, sendAt);
    return this.schedule(await this.getConversation(conversationId), body, sendAt);
  }
  async editScheduled(messageId: number, body: string, sendAt: string) {
    this.log('editScheduled', messageId, body, sendAt);
    this.checkSendAt(sendAt);
    const m = this.stillScheduled(messageId);
    const n = this.schedule(await this.getConversation(m.conversation_id), body, sendAt);
    Object.assign(m, {
      status: 'canceled',
      error_message: 'Edited: replaced by the new scheduled message.',
      replaced_by: n.id,
    });
    return n;
  }
  async cancelScheduled(messageId: number) {
    this.log('cancelScheduled', messageId);
    const m = this.stillScheduled(messageId);
    Object.assign(m, { status: 'canceled', error_message: 'Canceled before it was sent.' });
    this.emit({ type: 'message_updated', conversation_id: m.conversation_id, message_id: m.id, status: 'canceled' });
    return m;
  }
  async listScheduled() {
    return this.d.messages
      .filter((m) => m.status === 'scheduled')
      .sort((a, b) => (a.send_at ?? '').localeCompare(b.send_at ?? ''));
  }
  async startBulkLater(numberId: number, choice: T.BulkChoice, sendAt: string) {
    this.log('startBulkLater', numberId, choice, sendAt);
    this.checkSendAt(sendAt);
    return this.startBulk(numberId, choice);
  }
  async simAdvanceClock(minutes: number) {
    this.log('simAdvanceClock', minutes);
    this.clockOffset += minutes * 60_000;
    const at = new Date(Date.now() + this.clockOffset).toISOString();
    const due = this.d.messages.filter((m) => m.status === 'scheduled' && (m.send_at ?? '') <= at);
    for (const m of due) {
      m.status = 'delivered';
      this.d.simInbox.push(simMessage('outbound-api', m.from, m.to, m.body));
      this.emit({ type: 'message_updated', conversation_id: m.conversation_id, message_id: m.id, status: 'delivered' });
    }
    return due.length;
  }
  async onEvent(cb: (e: T.CoreEvent) => void) {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }
  // Call recordings (crate::recordings): play, delete (and Twilio's copy), retry a download.
  private callRecording(id: number) {
    for (const c of this.d.calls) {
      const r = c.recordings.find((x) => x.id === id);
      if (r) return { call: c, r };
    }
    throw notFound(`call recording ${id}`);
  }
  async deleteCallRecording(id: number, alsoTwilio: boolean) {
    this.log('deleteCallRecording', id, alsoTwilio);
    const { call } = this.callRecording(id);
    call.recordings = call.recordings.filter((x) => x.id !== id);
    this.emit({ type: 'call_updated', call_sid: call.sid });
  }
  async voicemailLengthNote(maxSeconds: number) {
    return maxSeconds <= 120
      ? `Callers can speak for up to ${maxSeconds} s, and every voicemail gets a transcript (Twilio transcribes messages of up to 120 s).`
      : `Callers can speak for up to ${maxSeconds} s, but Twilio transcribes messages of up to 120 s only: a longer voicemail is kept as audio and marked "too long for Twilio's transcription". Choose 120 s or less to have text for every voicemail.`;
  }
}
