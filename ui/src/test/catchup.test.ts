import { describe, expect, it } from 'vitest';
import { catchUpText, nextCatchUp, type CatchUp } from '../lib/catchup';
import type { CoreEvent } from '../lib/types';

const progress = (resource: string, listed: number, stored = 0) =>
  ({ type: 'sync_progress', resource, listed, stored }) as CoreEvent;

describe('catch-up progress in the status line', () => {
  it('counts pages as they come, per resource, and never goes backwards', () => {
    let s: CatchUp = {};
    for (const n of [50, 100, 150]) s = nextCatchUp(s, progress('messages', n));
    s = nextCatchUp(s, progress('calls', 20));
    s = nextCatchUp(s, progress('messages', 10)); // an out-of-order report
    expect(s).toEqual({ messages: 150, calls: 20 });
    expect(catchUpText(s)).toBe('Catching up with Twilio: 150 messages, 20 calls…');
  });

  it('says nothing for the small minute-by-minute checks', () => {
    expect(catchUpText(nextCatchUp({}, progress('messages', 3)))).toBeNull();
    expect(catchUpText({})).toBeNull();
  });

  it('shows thousands readably and ends when the run ends', () => {
    const s = nextCatchUp({}, progress('messages', 10000));
    expect(catchUpText(s)).toBe('Catching up with Twilio: 10,000 messages…');
    expect(nextCatchUp(s, { type: 'sync_completed', messages: 10000, calls: 0, voicemails: 0 } as CoreEvent)).toEqual(
      {},
    );
    expect(
      nextCatchUp(s, {
        type: 'reconcile_changed',
        status: { last_ok: null, failures: 1, last_error: 'x' },
      } as unknown as CoreEvent),
    ).toEqual({});
  });
});
