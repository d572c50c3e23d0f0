// The UI talks to the core only through this interface, so it runs in the desktop app
// (Tauri IPC) and in a browser or unit test against a fake.
import type { AppInfo, ConversationSummary } from './types';

export interface Backend {
  appInfo(): Promise<AppInfo>;
  listConversations(opts?: { unreadOnly?: boolean }): Promise<ConversationSummary[]>;
}

/** True inside the Tauri webview. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

export class TauriBackend implements Backend {
  private async call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    const { invoke } = await import('@tauri-apps/api/core');
    return invoke<T>(cmd, args);
  }
  appInfo() {
    return this.call<AppInfo>('app_info');
  }
  listConversations(opts: { unreadOnly?: boolean } = {}) {
    return this.call<ConversationSummary[]>('list_conversations', { unreadOnly: opts.unreadOnly ?? false });
  }
}

/** An in-memory backend for the browser and for tests. */
export class FakeBackend implements Backend {
  constructor(public conversations: ConversationSummary[] = [], public info: AppInfo = { version: 'dev', sandbox: true, data_dir: '/tmp' }) {}
  async appInfo() {
    return this.info;
  }
  async listConversations(opts: { unreadOnly?: boolean } = {}) {
    return this.conversations.filter((c) => !opts.unreadOnly || c.unread > 0);
  }
}

export function backend(): Backend {
  return inTauri() ? new TauriBackend() : new FakeBackend();
}
