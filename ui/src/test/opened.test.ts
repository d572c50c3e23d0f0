import { describe, it, expect, afterEach } from 'vitest';
import { firstConversation, firstScreen, opened, rememberScreen } from '../lib/opened';

function memory(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('a window opened from the tray or a notification', () => {
  afterEach(() => {
    delete (globalThis as { __SWITCHBOARD_OPENED__?: unknown }).__SWITCHBOARD_OPENED__;
  });

  it('reads what the app said, and a plain start when it said nothing or nonsense', () => {
    expect(opened()).toEqual({ kind: 'start' });
    (globalThis as { __SWITCHBOARD_OPENED__?: unknown }).__SWITCHBOARD_OPENED__ = 'restore';
    expect(opened()).toEqual({ kind: 'start' });
    (globalThis as { __SWITCHBOARD_OPENED__?: unknown }).__SWITCHBOARD_OPENED__ = {
      kind: 'conversation',
      conversation_id: 7,
    };
    expect(opened()).toEqual({ kind: 'conversation', conversation_id: 7 });
  });

  it('comes back to the screen the owner left, only when restored', () => {
    const s = memory();
    rememberScreen('calls', s);
    expect(firstScreen('', { kind: 'restore' }, s)).toBe('calls');
    expect(firstScreen('', { kind: 'start' }, s)).toBe('inbox');
  });

  it('prefers the URL (a reload) and ignores unknown remembered screens', () => {
    const s = memory();
    rememberScreen('calls', s);
    expect(firstScreen('settings', { kind: 'restore' }, s)).toBe('settings');
    s.setItem('switchboard.lastScreen', '<script>');
    expect(firstScreen('nope', { kind: 'restore' }, s)).toBe('inbox');
  });

  it('opens what a notification was about', () => {
    expect(firstScreen('', { kind: 'voicemail' }, memory())).toBe('voicemail');
    expect(firstScreen('', { kind: 'conversation', conversation_id: 3 }, memory())).toBe('inbox');
    expect(firstConversation({ kind: 'conversation', conversation_id: 3 })).toBe(3);
    expect(firstConversation({ kind: 'restore' })).toBeNull();
  });

  it('survives storage that throws', () => {
    const broken = {
      ...memory(),
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('full');
      },
    } as Storage;
    expect(() => rememberScreen('calls', broken)).not.toThrow();
    expect(firstScreen('', { kind: 'restore' }, broken)).toBe('inbox');
  });
});
