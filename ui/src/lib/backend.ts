// The UI talks to the core only through this interface, so it runs in the desktop app
// (Tauri IPC) and in a browser or unit test against a fake. The commands and their types
// are generated from Rust (bindings.ts, by src-tauri/desktop/contract.rs); only the
// call shapes the UI prefers and the desktop plugins are written here.
import { commands, events } from './bindings';
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

/** A command that returns Rust's `()` resolves to `null`; callers treat it as `void`. */
type Voided<F> = F extends (...args: infer A) => Promise<infer R>
  ? (...args: A) => Promise<[R] extends [null] ? void : R>
  : F;

/** Every IPC command, named and typed as generated from the Rust commands (bindings.ts). */
export type Commands = { [K in keyof typeof commands]: Voided<(typeof commands)[K]> };

/**
 * Commands the UI calls with an options object or one request rather than positional
 * arguments. Each must still be a generated command (`_EachIsACommand` fails to compile
 * otherwise) and returns what the command returns.
 */
interface Friendlier {
  listConversations(opts?: {
    unreadOnly?: boolean;
    /** Only open or only done conversations; null: both. */
    state?: T.ConversationState | null;
    before?: [string, number] | null;
  }): ReturnType<Commands['listConversations']>;
  startConversation(withWhom: T.StartWith, numberId?: number | null): ReturnType<Commands['startConversation']>;
  getThread(conversationId: number, beforeId?: number | null): ReturnType<Commands['getThread']>;
  sendMessage(req: SendRequest): ReturnType<Commands['sendMessage']>;
  searchAvailableNumbers(q: {
    country: string;
    numberType: string;
    areaCode: string;
  }): ReturnType<Commands['searchAvailableNumbers']>;
}
type CommandName<K extends keyof Commands> = K;
export type _EachIsACommand = CommandName<keyof Friendlier>;

/**
 * Desktop services (plugins), here so tests can fake them. The file dialogs are commands:
 * Rust opens them and hands back tokens (`pickFiles`, `pickSavePath`).
 */
export interface DesktopServices {
  openExternal(url: string): Promise<void>;
  onEvent(cb: (e: T.CoreEvent) => void): Promise<Unsubscribe>;
}

/**
 * What the UI talks to: one method per generated command (so an implementation that
 * lacks a command, such as a fake written before the command was added, does not
 * compile), plus the desktop services.
 */
export type Backend = Omit<Commands, keyof Friendlier> & Friendlier & DesktopServices;

/** True inside the Tauri webview. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

/** The backend inside the Tauri webview: the generated commands, plus the plugins. */
export function tauriBackend(): Backend {
  return {
    // Commands typed `Promise<null>` are the same functions as `Promise<void>` (`Voided`).
    ...(commands as unknown as Commands),
    listConversations: (opts = {}) =>
      commands.listConversations(opts.unreadOnly ?? false, opts.state ?? null, opts.before ?? null),
    startConversation: (withWhom, numberId = null) => commands.startConversation(numberId, withWhom),
    getThread: (conversationId, beforeId = null) => commands.getThread(conversationId, beforeId),
    sendMessage: (req) => commands.sendMessage(req.conversationId, req.body, req.channel, req.subject, req.media),
    searchAvailableNumbers: (q) => commands.searchAvailableNumbers(q.country, q.numberType, q.areaCode),

    async openExternal(url) {
      // The capability allows http(s) only too; this refuses anything else before asking.
      const safe = openableUrl(url);
      if (!safe) throw { code: 'invalid_input', message: 'Only web links (http and https) can be opened.' };
      const { openUrl } = await import('@tauri-apps/plugin-opener');
      await openUrl(safe);
    },
    async onEvent(cb) {
      return events.switchboardEvent.listen((e) => cb(e.payload));
    },
  };
}

export async function backend(): Promise<Backend> {
  if (inTauri()) return tauriBackend();
  const { FakeBackend, demoData } = await import('./fake');
  return new FakeBackend(demoData());
}
