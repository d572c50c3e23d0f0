// Shapes of what the Rust core sends over IPC (serde names kept as they are).

export interface AppError {
  code: string;
  message: string;
}

export interface ConversationSummary {
  id: number;
  number_id: number;
  our_number: string;
  customer: string;
  contact_id: number | null;
  contact_name: string;
  contact_email: string | null;
  reply_channel: 'sms' | 'email';
  last_message_at: string | null;
  last_preview: string;
  unread: number;
  opted_out: boolean;
}

export interface AppInfo {
  version: string;
  sandbox: boolean;
  data_dir: string;
}
