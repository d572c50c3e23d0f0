// Why this window was opened, and where it should start.
//
// In the light tray mode the app destroys its window when it is closed and creates a new
// one from the tray or a notification (src-tauri/desktop/window.rs). The app tells the new
// page why, before it loads, as `window.__SWITCHBOARD_OPENED__`; the page remembers the
// screen the owner was on, so "back from the tray" lands where they left.
import { SCREENS, type ScreenId } from './nav';

export type Opened =
  { kind: 'start' } | { kind: 'restore' } | { kind: 'conversation'; conversation_id: number } | { kind: 'voicemail' };

const LAST_SCREEN = 'switchboard.lastScreen';

/** What the app said about this window (a plain start when it said nothing). */
export function opened(): Opened {
  const o = (globalThis as { __SWITCHBOARD_OPENED__?: Opened }).__SWITCHBOARD_OPENED__;
  return o && typeof o === 'object' && typeof o.kind === 'string' ? o : { kind: 'start' };
}

function known(id: string | null | undefined): ScreenId | null {
  return SCREENS.find((s) => s.id === id)?.id ?? null;
}

/** Remembered across windows of this app (the webview's storage outlives a window). */
export function rememberScreen(id: ScreenId, storage: Storage | undefined = globalThis.localStorage) {
  try {
    storage?.setItem(LAST_SCREEN, id);
  } catch {
    // Storage full or disabled: the window then starts on the inbox, which is fine.
  }
}

/** The screen a window starts on: the URL's (a reload), else what it was opened for. */
export function firstScreen(hash: string, o: Opened, storage: Storage | undefined = globalThis.localStorage): ScreenId {
  const fromHash = known(hash);
  if (fromHash) return fromHash;
  switch (o.kind) {
    case 'conversation':
      return 'inbox';
    case 'voicemail':
      return 'voicemail';
    case 'restore': {
      let last: string | null = null;
      try {
        last = storage?.getItem(LAST_SCREEN) ?? null;
      } catch {
        last = null;
      }
      return known(last) ?? 'inbox';
    }
    default:
      return 'inbox';
  }
}

/** The conversation a clicked notification was about, if that is why the window opened. */
export function firstConversation(o: Opened): number | null {
  return o.kind === 'conversation' ? o.conversation_id : null;
}
