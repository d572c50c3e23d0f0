// The UI talks to the core only through this interface, so it runs in the desktop app
// (Tauri IPC) and in a browser or unit test against a fake. One method per IPC command;
// the Rust command name is given beside each.
import type * as T from './types';
import { openableUrl } from './format';

export type Unsubscribe = () => void;

export interface SendRequest {
  conversationId: number;
  body: string;
  channel: T.Channel;
  /** Email only: the subject the owner wrote; null or blank sends the suggested one. */
  subject: string | null;
  /** Tokens of the pictures the owner chose (`PickedFile.token` from `pickFiles`), never paths. */
  media: string[];
}

export interface Backend {
  appInfo(): Promise<T.AppInfo>; // app_info
  inboxPainted(): Promise<void>; // inbox_painted
  // Inbox
  listConversations(opts?: {
    unreadOnly?: boolean;
    before?: [string, number] | null;
  }): Promise<T.ConversationSummary[]>; // list_conversations
  getConversation(id: number): Promise<T.ConversationSummary>; // get_conversation
  startConversation(withWhom: T.StartWith, numberId?: number | null): Promise<T.ConversationSummary>; // start_conversation
  getThread(conversationId: number, beforeId?: number | null): Promise<T.Message[]>; // get_thread
  markConversationRead(id: number): Promise<void>; // mark_conversation_read
  setReplyChannel(id: number, channel: T.Channel): Promise<void>; // set_reply_channel
  searchMessages(query: string): Promise<T.SearchHit[]>; // search_messages
  sendMessage(req: SendRequest): Promise<T.Message>; // send_message
  /** The subject offered for an email reply: "Re:" the customer's last email, else our last. */
  emailReplySubject(conversationId: number): Promise<string>; // email_reply_subject
  retryMessage(messageId: number): Promise<T.Message>; // retry_message
  mediaBytes(messageId: number, mediaId: number): Promise<ArrayBuffer>; // media_bytes
  // Contacts
  listContacts(): Promise<T.Contact[]>; // list_contacts
  saveContact(id: number | null, edit: T.ContactEdit): Promise<T.Contact>; // save_contact
  /** The owner opts a phone number or email address out, or back in, by hand (after confirming). */
  setOptOut(address: string, optedOut: boolean): Promise<T.OptOutEvent>; // set_opt_out
  // Calls and voicemail
  /** A page of the call log (all calls or only missed ones), after `after`. */
  listCalls(missedOnly: boolean, after: T.CallCursor | null): Promise<T.CallPage>; // list_calls
  startCall(numberId: number, to: string): Promise<T.Call>; // start_call
  listVoicemails(): Promise<T.Voicemail[]>; // list_voicemails
  voicemailAudio(id: number): Promise<ArrayBuffer>; // voicemail_audio
  setVoicemailListened(id: number, listened: boolean): Promise<void>; // set_voicemail_listened
  deleteVoicemail(id: number): Promise<void>; // delete_voicemail
  // Numbers
  listNumbers(): Promise<T.PhoneNumber[]>; // list_numbers
  updateNumberSettings(id: number, friendlyName: string, settings: T.NumberSettings): Promise<T.PhoneNumber>; // update_number_settings
  callFlowNotes(): Promise<T.CallFlowNotes>; // call_flow_notes
  searchAvailableNumbers(q: { country: string; numberType: string; areaCode: string }): Promise<T.AvailableNumber[]>; // search_available_numbers
  buyNumber(e164: string, complianceId: number | null): Promise<T.PhoneNumber>; // buy_number
  releaseNumber(id: number): Promise<void>; // release_number
  /** Gives the number back the webhooks it had before Switchboard managed it. */
  stopManagingNumber(id: number): Promise<T.PhoneNumber[]>; // stop_managing_number
  // Templates and bulk
  listTemplates(): Promise<T.Template[]>; // list_templates
  saveTemplate(id: number | null, name: string, body: string): Promise<T.Template>; // save_template
  deleteTemplate(id: number): Promise<void>; // delete_template
  previewBulk(
    templateId: number,
    contactIds: number[],
    vars: Record<string, string>,
    perContact: T.PerContactVars,
  ): Promise<T.BulkPreview>; // preview_bulk
  startBulk(req: T.BulkRequest): Promise<number>; // start_bulk
  campaignProgress(id: number): Promise<T.CampaignProgress>; // campaign_progress
  pauseCampaign(id: number): Promise<void>; // pause_campaign
  resumeCampaign(id: number): Promise<void>; // resume_campaign
  // Compliance
  listCompliance(): Promise<T.Compliance[]>; // list_compliance
  /** `document`: the token of the registration document chosen with `pickFiles('document')`. */
  saveComplianceDraft(draft: T.ComplianceDraft, document: string | null): Promise<T.Compliance>; // save_compliance_draft
  submitCompliance(id: number): Promise<T.Compliance>; // submit_compliance
  // Settings and onboarding
  getSettings(): Promise<T.DesktopSettings>; // get_settings
  setNotifications(enabled: boolean): Promise<void>; // set_notifications
  setAutostart(enabled: boolean): Promise<void>; // set_autostart
  setTrayKeepsWindow(keep: boolean): Promise<void>; // set_tray_keeps_window
  /** `target`: the token `pickSavePath` returned (never a path). */
  exportData(target: string, format: 'json' | 'csv'): Promise<void>; // export_data
  credentialsStatus(): Promise<T.CredentialsStatus>; // credentials_status
  /** With `restoreNumbers`, every managed number gets its previous webhooks back first. */
  removeCredentials(restoreNumbers: boolean): Promise<void>; // remove_credentials
  testWebhooks(): Promise<T.SelfTest>; // test_webhooks
  awaySummary(): Promise<{ messages: number; calls: number; voicemails: number } | null>; // away_summary
  reconcileStatus(): Promise<T.ReconcileReport>; // reconcile_status
  saveEmailSettings(apiKey: string, from: string): Promise<void>; // save_email_settings
  checkTwilioCredentials(accountSid: string, authToken: string): Promise<T.TwilioAccountCheck>; // check_twilio_credentials
  saveCredentials(accountSid: string, authToken: string): Promise<void>; // save_credentials
  configureTunnel(config: T.TunnelConfig): Promise<T.TunnelStatus>; // configure_tunnel
  tunnelStatus(): Promise<T.TunnelStatus>; // tunnel_status
  manageNumbers(sids: string[]): Promise<T.PhoneNumber[]>; // manage_numbers
  openSandbox(): Promise<void>; // open_sandbox
  // The simulated customer phone (sandbox only)
  simCustomerText(from: string, body: string, withImage: boolean): Promise<void>; // sim_customer_text
  simCustomerCall(from: string, outcome: T.SimCallOutcome): Promise<void>; // sim_customer_call
  simPhoneInbox(phone: string): Promise<T.SimPhoneMessage[]>; // sim_phone_inbox
  /** Sets the "drop webhooks" switch when `on` is given; answers whether webhooks are dropped. */
  simDropWebhooks(on: boolean | null): Promise<boolean>; // sim_drop_webhooks
  // File dialogs, opened by the Rust side: the owner's choice comes back as tokens, and
  // only those are accepted by the commands that read or write files.
  pickFiles(kind: 'image' | 'document'): Promise<T.PickedFile[]>; // pick_files
  pickSavePath(defaultName: string): Promise<T.PickedFile | null>; // pick_save_path
  // Desktop services (plugins), here so tests can fake them
  openExternal(url: string): Promise<void>;
  onEvent(cb: (e: T.CoreEvent) => void): Promise<Unsubscribe>;
}

/** True inside the Tauri webview. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

/** The one Tauri event the Rust side emits (src-tauri/desktop/bridge.rs `EVENT`). */
export const CORE_EVENT = 'switchboard:event';

export class TauriBackend implements Backend {
  private async call<R>(cmd: string, args?: Record<string, unknown>): Promise<R> {
    const { invoke } = await import('@tauri-apps/api/core');
    return invoke<R>(cmd, args);
  }
  appInfo = () => this.call<T.AppInfo>('app_info');
  inboxPainted = () => this.call<void>('inbox_painted');
  listConversations = (opts: { unreadOnly?: boolean; before?: [string, number] | null } = {}) =>
    this.call<T.ConversationSummary[]>('list_conversations', {
      unreadOnly: opts.unreadOnly ?? false,
      before: opts.before ?? null,
    });
  getConversation = (id: number) => this.call<T.ConversationSummary>('get_conversation', { id });
  startConversation = (withWhom: T.StartWith, numberId: number | null = null) =>
    this.call<T.ConversationSummary>('start_conversation', { with: withWhom, numberId });
  getThread = (conversationId: number, beforeId: number | null = null) =>
    this.call<T.Message[]>('get_thread', { conversationId, beforeId });
  markConversationRead = (id: number) => this.call<void>('mark_conversation_read', { id });
  setReplyChannel = (id: number, channel: T.Channel) => this.call<void>('set_reply_channel', { id, channel });
  searchMessages = (query: string) => this.call<T.SearchHit[]>('search_messages', { query });
  sendMessage = (req: SendRequest) => this.call<T.Message>('send_message', { ...req });
  emailReplySubject = (conversationId: number) => this.call<string>('email_reply_subject', { conversationId });
  retryMessage = (messageId: number) => this.call<T.Message>('retry_message', { messageId });
  mediaBytes = (messageId: number, mediaId: number) => this.call<ArrayBuffer>('media_bytes', { messageId, mediaId });
  listContacts = () => this.call<T.Contact[]>('list_contacts');
  saveContact = (id: number | null, edit: T.ContactEdit) => this.call<T.Contact>('save_contact', { id, edit });
  setOptOut = (address: string, optedOut: boolean) => this.call<T.OptOutEvent>('set_opt_out', { address, optedOut });
  listCalls = (missedOnly: boolean, after: T.CallCursor | null) =>
    this.call<T.CallPage>('list_calls', { missedOnly, after });
  startCall = (numberId: number, to: string) => this.call<T.Call>('start_call', { numberId, to });
  listVoicemails = () => this.call<T.Voicemail[]>('list_voicemails');
  voicemailAudio = (id: number) => this.call<ArrayBuffer>('voicemail_audio', { id });
  setVoicemailListened = (id: number, listened: boolean) => this.call<void>('set_voicemail_listened', { id, listened });
  deleteVoicemail = (id: number) => this.call<void>('delete_voicemail', { id });
  listNumbers = () => this.call<T.PhoneNumber[]>('list_numbers');
  updateNumberSettings = (id: number, friendlyName: string, settings: T.NumberSettings) =>
    this.call<T.PhoneNumber>('update_number_settings', { id, friendlyName, settings });
  callFlowNotes = () => this.call<T.CallFlowNotes>('call_flow_notes');
  searchAvailableNumbers = (q: { country: string; numberType: string; areaCode: string }) =>
    this.call<T.AvailableNumber[]>('search_available_numbers', q);
  buyNumber = (e164: string, complianceId: number | null) =>
    this.call<T.PhoneNumber>('buy_number', { e164, complianceId });
  releaseNumber = (id: number) => this.call<void>('release_number', { id });
  stopManagingNumber = (id: number) => this.call<T.PhoneNumber[]>('stop_managing_number', { id });
  listTemplates = () => this.call<T.Template[]>('list_templates');
  saveTemplate = (id: number | null, name: string, body: string) =>
    this.call<T.Template>('save_template', { id, name, body });
  deleteTemplate = (id: number) => this.call<void>('delete_template', { id });
  previewBulk = (
    templateId: number,
    contactIds: number[],
    vars: Record<string, string>,
    perContact: T.PerContactVars,
  ) => this.call<T.BulkPreview>('preview_bulk', { templateId, contactIds, vars, perContact });
  startBulk = (req: T.BulkRequest) => this.call<number>('start_bulk', { ...req });
  campaignProgress = (id: number) => this.call<T.CampaignProgress>('campaign_progress', { id });
  pauseCampaign = (id: number) => this.call<void>('pause_campaign', { id });
  resumeCampaign = (id: number) => this.call<void>('resume_campaign', { id });
  listCompliance = () => this.call<T.Compliance[]>('list_compliance');
  saveComplianceDraft = (draft: T.ComplianceDraft, document: string | null) =>
    this.call<T.Compliance>('save_compliance_draft', { draft, document });
  submitCompliance = (id: number) => this.call<T.Compliance>('submit_compliance', { id });
  getSettings = () => this.call<T.DesktopSettings>('get_settings');
  setNotifications = (enabled: boolean) => this.call<void>('set_notifications', { enabled });
  setAutostart = (enabled: boolean) => this.call<void>('set_autostart', { enabled });
  setTrayKeepsWindow = (keep: boolean) => this.call<void>('set_tray_keeps_window', { keep });
  exportData = (target: string, format: 'json' | 'csv') => this.call<void>('export_data', { target, format });
  credentialsStatus = () => this.call<T.CredentialsStatus>('credentials_status');
  removeCredentials = (restoreNumbers: boolean) => this.call<void>('remove_credentials', { restoreNumbers });
  testWebhooks = () => this.call<T.SelfTest>('test_webhooks');
  awaySummary = () => this.call<{ messages: number; calls: number; voicemails: number } | null>('away_summary');
  reconcileStatus = () => this.call<T.ReconcileReport>('reconcile_status');
  saveEmailSettings = (apiKey: string, from: string) => this.call<void>('save_email_settings', { apiKey, from });
  checkTwilioCredentials = (accountSid: string, authToken: string) =>
    this.call<T.TwilioAccountCheck>('check_twilio_credentials', { accountSid, authToken });
  saveCredentials = (accountSid: string, authToken: string) =>
    this.call<void>('save_credentials', { accountSid, authToken });
  configureTunnel = (config: T.TunnelConfig) => this.call<T.TunnelStatus>('configure_tunnel', { config });
  tunnelStatus = () => this.call<T.TunnelStatus>('tunnel_status');
  manageNumbers = (sids: string[]) => this.call<T.PhoneNumber[]>('manage_numbers', { sids });
  openSandbox = () => this.call<void>('open_sandbox');
  simCustomerText = (from: string, body: string, withImage: boolean) =>
    this.call<void>('sim_customer_text', { from, body, withImage });
  simCustomerCall = (from: string, outcome: T.SimCallOutcome) =>
    this.call<void>('sim_customer_call', { from, outcome });
  simPhoneInbox = (phone: string) => this.call<T.SimPhoneMessage[]>('sim_phone_inbox', { phone });
  simDropWebhooks = (on: boolean | null) => this.call<boolean>('sim_drop_webhooks', { on });

  pickFiles = (kind: 'image' | 'document') => this.call<T.PickedFile[]>('pick_files', { kind });
  pickSavePath = (defaultName: string) => this.call<T.PickedFile | null>('pick_save_path', { defaultName });
  async openExternal(url: string) {
    // The capability allows http(s) only too; this refuses anything else before asking.
    const safe = openableUrl(url);
    if (!safe) throw { code: 'invalid_input', message: 'Only web links (http and https) can be opened.' };
    const { openUrl } = await import('@tauri-apps/plugin-opener');
    await openUrl(safe);
  }
  async onEvent(cb: (e: T.CoreEvent) => void) {
    const { listen } = await import('@tauri-apps/api/event');
    return listen<T.CoreEvent>(CORE_EVENT, (e) => cb(e.payload));
  }
}

export async function backend(): Promise<Backend> {
  if (inTauri()) return new TauriBackend();
  const { FakeBackend, demoData } = await import('./fake');
  return new FakeBackend(demoData());
}
