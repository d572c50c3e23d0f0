// Shapes of what the Rust core sends over IPC (serde names kept as they are).

export interface AppError {
  code: string;
  message: string;
}

export interface AppInfo {
  version: string;
  sandbox: boolean;
  data_dir: string;
}

export type Channel = 'sms' | 'email';

export interface ConversationSummary {
  id: number;
  number_id: number;
  our_number: string;
  customer: string;
  contact_id: number | null;
  contact_name: string;
  contact_email: string | null;
  reply_channel: Channel;
  last_message_at: string | null;
  last_preview: string;
  unread: number;
  opted_out: boolean;
}

/** Whom the owner starts writing to (store::conversations::StartWith). */
export type StartWith = { contact: number } | { phone: string };

export interface Media {
  id: number;
  idx: number;
  content_type: string;
  /** Relative to the data folder; null until downloaded. */
  path: string | null;
  sha256: string | null;
  bytes: number | null;
}

export interface Message {
  id: number;
  sid: string | null;
  conversation_id: number;
  direction: 'inbound' | 'outbound';
  channel: Channel;
  from: string;
  to: string;
  body: string;
  /** Twilio's status name; unknown names are kept as they came. */
  status: string;
  error_code: number | null;
  /** The plain-language explanation of error_code. */
  error_message: string | null;
  num_segments: number;
  num_media: number;
  price: string | null;
  created_at: string;
  updated_at: string;
  media: Media[];
  /** A failed text Twilio never accepted (or whose fate was unknown): offer Retry. */
  retryable: boolean;
}

export interface SearchHit {
  conversation_id: number;
  message_id: number | null;
  customer: string;
  contact_name: string;
  /** Body with matches wrapped in U+0002 … U+0003. */
  snippet: string;
  created_at: string | null;
}

export interface Contact {
  id: number;
  name: string;
  phones: string[];
  email: string | null;
  notes: string;
  /** Any of the phones is opted out (the ledger keeps opt-out per address, not per contact). */
  opted_out: boolean;
  opted_out_at: string | null;
  opt_out_source: string | null;
  /** The phones that are opted out now. */
  opted_out_phones?: string[];
  /** The email address is unsubscribed (independent of SMS). */
  email_opted_out?: boolean;
}

/** One change in the opt-out ledger (`store::optouts::OptOutEvent`). */
export interface OptOutEvent {
  id: number;
  address: string;
  channel: 'sms' | 'email';
  opted_out: boolean;
  at: string;
  /** `STOP`, `OptOutType STOP`, `error 21610`, `by hand`… */
  reason: string;
  /** `webhook`, `catch-up`, `error-21610`, `owner` or `migration`. */
  source: string;
  message_sid: string | null;
}

export interface ContactEdit {
  name: string;
  phones: string[];
  email: string | null;
  notes: string;
}

export interface Call {
  id: number;
  sid: string;
  direction: string;
  from: string;
  to: string;
  status: string;
  duration: number | null;
  forwarded_to: string | null;
  answered_by: string | null;
  dial_status: string | null;
  created_at: string;
  has_voicemail: boolean;
  /** A customer called and nobody took it (the core decides: store/calls.rs). */
  missed: boolean;
}

/** Where a page of the call log ended; the next page starts just after it. */
export interface CallCursor {
  created_at: string;
  id: number;
}

/** One page of the call log, newest first; `next` is null at the end. */
export interface CallPage {
  calls: Call[];
  next: CallCursor | null;
}

export interface Voicemail {
  id: number;
  recording_sid: string;
  call_sid: string | null;
  from: string;
  duration: number | null;
  path: string | null;
  content_type: string | null;
  transcription: string | null;
  transcription_status: string | null;
  listened: boolean;
  created_at: string;
  download_error: string | null;
}

export interface Span {
  /** 0 = Monday … 6 = Sunday. */
  day: number;
  open: string;
  close: string;
}

export interface BusinessHours {
  tz: string;
  spans: Span[];
}

export interface NumberSettings {
  forwarding_number: string | null;
  forwarding_enabled: boolean;
  greeting: string;
  voice: string;
  ring_seconds: number;
  voicemail_enabled: boolean;
  voicemail_prompt: string;
  voicemail_max_seconds: number;
  business_hours: BusinessHours | null;
  auto_reply: string | null;
  /** The forwarded leg must press 1 to take the call; a mobile's voicemail never does. */
  screening_enabled: boolean;
  /** Said instead of the greeting outside business hours; '' = the greeting. */
  closed_greeting: string;
  record_calls: boolean;
  recording_notice: string;
  text_back_enabled: boolean;
  text_back_body: string;
  /** One text-back per caller per this many hours (1–168). */
  text_back_window_hours: number;
}

/** What differs while Switchboard is closed (Twilio runs the call flow), in plain words. */
export interface CallFlowNotes {
  text_back: string;
  hours: string;
  screening: string;
}

export interface PhoneNumber {
  id: number;
  e164: string;
  sid: string | null;
  friendly_name: string;
  managed: boolean;
  seen_in_webhook: boolean;
  settings: NumberSettings;
  wired_url: string | null;
  wired_at: string | null;
  wiring_error: string | null;
}

export interface AvailableNumber {
  e164: string;
  friendly_name: string;
  locality: string | null;
  region: string | null;
  capabilities: string[];
  /** The address or bundle this number needs before it can be bought, if any. */
  requirements: string | null;
}

export interface Template {
  id: number;
  name: string;
  body: string;
  variables: string[];
}

export interface BulkRecipient {
  contact_id: number;
  name: string;
  to: string;
  body: string;
}

/** Template values for single contacts, by contact id; a blank value means the shared one. */
export type PerContactVars = Record<number, Record<string, string>>;

export interface BulkRequest {
  templateId: number;
  numberId: number;
  contactIds: number[];
  /** Values shared by everyone. */
  vars: Record<string, string>;
  perContact: PerContactVars;
}

export interface BulkPreview {
  recipients: BulkRecipient[];
  skipped_opted_out: number;
  problems: { contact_id: number; name: string; reason: string }[];
}

export interface CampaignProgress {
  id: number;
  state: 'running' | 'paused' | 'done' | 'cancelled';
  total: number;
  sent: number;
  failed: number;
  skipped: number;
}

export interface PostalAddress {
  customer_name: string;
  street: string;
  city: string;
  region: string;
  postal_code: string;
  iso_country: string;
}

/** A file the owner chose in Switchboard's own dialog (src-tauri/picked): commands accept
 * the token only, for the purpose it was chosen for, for a short while. */
export interface PickedFile {
  token: string;
  /** The file name, to show. */
  name: string;
  /** The full path, to show ("Exported to …"); never accepted back. */
  path: string;
}

export interface ComplianceDraft {
  country: string;
  number_type: string;
  end_user_type: string;
  business_name: string;
  business_email: string;
  registration_id: string;
  /** The authorised representative, whom regulations ask for by name. */
  first_name: string;
  last_name: string;
  address: PostalAddress | null;
  /** Always null from the form: the core sets it from the chosen document's token. */
  document_path: string | null;
}

/** One line of Twilio's evaluation: which field failed and why. */
export interface EvaluationResult {
  field: string;
  passed: boolean;
  reason: string;
}

export interface Compliance extends ComplianceDraft {
  id: number;
  regulation_sid: string | null;
  end_user_sid: string | null;
  document_sid: string | null;
  address_sid: string | null;
  bundle_sid: string | null;
  /** draft, pending-review, in-review, twilio-approved, twilio-rejected, … */
  status: string;
  rejection_reason: string | null;
  evaluation: { results?: EvaluationResult[]; status?: string } | null;
  updated_at: string;
}

export interface DesktopSettings {
  notifications: boolean;
  autostart: boolean;
  data_dir: string;
  sandbox: boolean;
  tray_keeps_window: boolean;
}

export interface CredentialsStatus {
  sandbox: boolean;
  twilio: boolean;
  account_hint: string | null;
  ngrok: boolean;
}

export interface TwilioAccountCheck {
  account_name: string;
  numbers: { sid: string; e164: string; friendly_name: string }[];
}

export type TunnelConfig = { kind: 'ngrok'; authtoken: string } | { kind: 'manual'; url: string };

export interface SelfTest {
  ok: boolean;
  /** "Webhooks reach Switchboard", or exactly why not. */
  message: string;
}

export interface TunnelStatus {
  kind: 'ngrok' | 'manual' | 'none';
  state: 'connected' | 'connecting' | 'down' | 'off';
  public_url: string | null;
  error: string | null;
}

/** When the app last heard from Twilio (src-tauri/sync/reconcile.rs `ReconcileStatus`). */
export interface ReconcileStatus {
  /** RFC 3339 time of the last catch-up that succeeded. */
  last_ok: string | null;
  /** Why the last attempt failed; null after a success. */
  last_error: string | null;
  /** RFC 3339 time of the next attempt. */
  next_attempt: string | null;
  /** Failed attempts in a row: 0 is "up to date". */
  failures: number;
  runs: number;
}

/** What periodic reconciliation found that no webhook had delivered, since `since`. */
export interface CaughtUp {
  since: string | null;
  messages: number;
  calls: number;
  voicemails: number;
  statuses: number;
}

export interface ReconcileReport {
  /** null while the core is not running. */
  status: ReconcileStatus | null;
  caught_up: CaughtUp;
}

/** A message as the sandbox simulator knows it (src-tauri/sim `SimMessage`). */
export interface SimPhoneMessage {
  sid: string;
  from: string;
  to: string;
  body: string;
  status: string;
  /** `inbound` = the customer's phone sent it; `outbound-api`/`outbound-reply` = the business did. */
  direction: string;
  media_urls: string[];
  error_code: number | null;
  /** RFC 2822, as in Twilio's JSON. */
  date_created: string;
}

/** What the core publishes (src-tauri/events.rs, tagged by `type`), plus `resync` when events were lost. */
export type CoreEvent =
  | { type: 'message_received'; conversation_id: number; message_id: number }
  | { type: 'message_updated'; conversation_id: number; message_id: number; status: string }
  | { type: 'call_updated'; call_sid: string }
  | { type: 'voicemail_updated'; voicemail_id: number }
  | { type: 'contact_updated'; contact_id: number }
  | { type: 'compliance_updated'; compliance_id: number }
  | { type: 'media_downloaded'; message_id: number }
  | { type: 'download_failed'; download_kind: string; target_id: number; error: string }
  | {
      type: 'campaign_progress';
      campaign_id: number;
      sent: number;
      skipped: number;
      failed: number;
      pending: number;
      state: string;
    }
  | { type: 'sync_completed'; messages: number; calls: number; voicemails: number }
  | { type: 'sync_progress'; resource: string; listed: number; stored: number }
  | { type: 'tunnel_changed'; state: { state: string; url?: string; reason?: string } }
  | { type: 'reconcile_changed'; status: ReconcileStatus }
  | { type: 'open_conversation'; conversation_id: number }
  | { type: 'open_voicemail' }
  | { type: 'resync' };

/** What the owner's mobile does with a simulated forwarded call (sandbox). */
export type SimCallOutcome = 'answer' | 'voicemail' | 'decline' | 'carrier-voicemail';
