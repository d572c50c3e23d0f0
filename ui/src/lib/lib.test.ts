import { describe, expect, it } from 'vitest';
import { count } from './segments';
import { render, variables } from './template';
import { duration, errorText, formatPhone, linkParts, transcriptLine, tunnelView } from './format';
import { PAGE, appendPage, pageAfter, refreshFirstPage } from './inbox';
import type { ConversationSummary } from './types';

describe('segments (same cases as src-tauri/domain/segments.rs)', () => {
  it('GSM-7 boundaries', () => {
    expect(count('a'.repeat(160)).segments).toBe(1);
    expect(count('a'.repeat(161)).segments).toBe(2);
    expect(count('a'.repeat(306)).segments).toBe(2);
    expect(count('a'.repeat(307)).segments).toBe(3);
    expect(count('').segments).toBe(1);
  });
  it('extension characters cost two', () => {
    const i = count('€'.repeat(80));
    expect(i.encoding).toBe('gsm7');
    expect(i.units).toBe(160);
    expect(count('€'.repeat(81)).segments).toBe(2);
  });
  it('one emoji switches everything to UCS-2', () => {
    const i = count('a'.repeat(60) + '😀');
    expect(i.encoding).toBe('ucs2');
    expect(i.units).toBe(62);
    expect(i.ucs2_chars).toEqual(['😀']);
    expect(count('é'.repeat(10)).encoding).toBe('gsm7');
    expect(count('ê'.repeat(71)).segments).toBe(2);
    expect(count('ê'.repeat(134)).segments).toBe(2);
    expect(count('ê'.repeat(135)).segments).toBe(3);
  });
  it('flags bodies Twilio refuses', () => {
    expect(count('a'.repeat(1600)).too_long).toBe(false);
    expect(count('a'.repeat(1601)).too_long).toBe(true);
  });
});

describe('templates (same rules as src-tauri/domain/template.rs)', () => {
  it('renders and names missing variables', () => {
    const t = 'Hi {{first_name}}, your {{ item }} is ready. Thanks {{first_name}}!';
    expect(variables(t)).toEqual(['first_name', 'item']);
    expect(render(t, { first_name: 'Ana', item: 'order' })).toEqual({
      ok: true,
      text: 'Hi Ana, your order is ready. Thanks Ana!',
    });
    expect(render('Hi {{first_name}} {{last}}', { first_name: ' ' })).toEqual({
      ok: false,
      missing: ['first_name', 'last'],
    });
    expect(render('{{ not a var }} {x}', {})).toEqual({ ok: true, text: '{{ not a var }} {x}' });
  });
});

describe('format', () => {
  it('formats numbers and durations', () => {
    expect(formatPhone('+61412345678')).toBe('+61 412 345 678');
    expect(formatPhone('+14155550100')).toBe('+1 (415) 555-0100');
    expect(formatPhone('whatsapp:+1')).toBe('whatsapp:+1');
    expect(duration(74)).toBe('1:14');
    expect(duration(null)).toBe('–');
  });
  it('reads IPC errors', () => {
    expect(errorText({ code: 'x', message: 'disk is full' })).toBe('disk is full');
    expect(errorText(42)).toBe('Something went wrong.');
  });
  it('splits links out of text without interpreting HTML', () => {
    expect(linkParts('see https://a.example/x?y=1 now <b>')).toEqual([
      { text: 'see ', url: false },
      { text: 'https://a.example/x?y=1', url: true },
      { text: ' now <b>', url: false },
    ]);
  });
  it('leaves the punctuation around a link out of it', () => {
    const link = (t: string) => linkParts(t).find((p) => p.url)?.text;
    expect(link('Track it: https://shop.example/o/42.')).toBe('https://shop.example/o/42');
    expect(link('(see https://x.example/a)')).toBe('https://x.example/a');
    expect(link('Ready! https://x.example/a?b=1, thanks')).toBe('https://x.example/a?b=1');
    expect(link('https://en.example/wiki/Bread_(bakery)')).toBe('https://en.example/wiki/Bread_(bakery)');
    const parts = linkParts('Open https://x.example/a.');
    expect(parts.map((p) => p.text).join('')).toBe('Open https://x.example/a.');
  });
});

describe('inbox paging', () => {
  const conv = (id: number, at: string | null): ConversationSummary => ({
    state: 'open',
    id,
    number_id: 1,
    our_number: '+61255501234',
    customer: `+614123456${String(id).padStart(2, '0')}`,
    contact_id: null,
    contact_name: '',
    contact_email: null,
    reply_channel: 'sms',
    last_message_at: at,
    last_preview: '',
    unread: 0,
    opted_out: false,
  });
  // 2 × PAGE conversations, newest first; the oldest has no message yet.
  const all = Array.from({ length: 2 * PAGE }, (_, i) =>
    conv(
      2 * PAGE - i,
      i === 2 * PAGE - 1 ? null : `2026-11-20T10:${String(59 - Math.floor(i / 2)).padStart(2, '0')}:00Z`,
    ),
  );

  it('starts the next page after the last conversation shown', () => {
    expect(pageAfter([])).toBeNull();
    expect(pageAfter(all.slice(0, PAGE))).toEqual([all[PAGE - 1].last_message_at, all[PAGE - 1].id]);
    expect(pageAfter(all), 'no message yet sorts as the empty string, as in the core').toEqual([
      '',
      all[2 * PAGE - 1].id,
    ]);
  });

  it('keeps older pages on a refresh, without the conversation that moved to the top', () => {
    const shown = all;
    const moved = { ...all[PAGE + 3], last_message_at: '2026-11-21T09:00:00Z' };
    const fresh = [moved, ...all.slice(0, PAGE - 1)];
    const after = refreshFirstPage(fresh, shown);
    expect(after.map((c) => c.id)).toEqual([moved.id, ...all.filter((c) => c.id !== moved.id).map((c) => c.id)]);
    expect(refreshFirstPage(all.slice(0, 3), shown), 'a short first page is the whole list').toHaveLength(3);
  });

  it('appends a page without repeating a conversation', () => {
    expect(appendPage(all.slice(0, 3), all.slice(2, 5)).map((c) => c.id)).toEqual(all.slice(0, 5).map((c) => c.id));
  });
});

describe('tunnelView (one tunnel model: the core TunnelState, labelled as src-tauri/desktop/live.rs did)', () => {
  it('labels every state of the core', () => {
    expect(
      tunnelView({ kind: 'ngrok', state: { state: 'online', kind: 'ngrok', url: 'https://a.ngrok.app' } }),
    ).toEqual({ label: 'connected', url: 'https://a.ngrok.app', error: null });
    expect(tunnelView({ kind: 'ngrok', state: { state: 'connecting', kind: 'ngrok' } })).toEqual({
      label: 'connecting',
      url: null,
      error: null,
    });
    expect(
      tunnelView({
        kind: 'ngrok',
        state: { state: 'reconnecting', kind: 'ngrok', attempt: 2, reason: 'dropped', retry_in_secs: 4 },
      }),
    ).toEqual({ label: 'connecting', url: null, error: 'dropped' });
    expect(tunnelView({ kind: 'ngrok', state: { state: 'failed', kind: 'ngrok', reason: 'ERR_NGROK_105' } })).toEqual({
      label: 'down',
      url: null,
      error: 'ERR_NGROK_105',
    });
    expect(tunnelView({ kind: 'manual', state: { state: 'stopped', reason: 'the core did not start' } })).toEqual({
      label: 'off',
      url: null,
      error: 'the core did not start',
    });
  });
  it('shows no tunnel as off, with why the core is not running if it is not', () => {
    expect(tunnelView({ kind: 'none', state: { state: 'online', kind: 'manual', url: 'https://x' } })).toEqual({
      label: 'off',
      url: null,
      error: null,
    });
    expect(tunnelView({ kind: 'none', state: { state: 'stopped', reason: 'no credentials' } })).toEqual({
      label: 'off',
      url: null,
      error: 'no credentials',
    });
  });
});

describe('transcriptLine', () => {
  it('says a long voicemail is too long, never pending', () => {
    expect(transcriptLine({ transcription: null, transcript_state: 'too_long' })).toBe(
      'Too long for Twilio\u2019s transcription (over 2 minutes)',
    );
    expect(transcriptLine({ transcription: null, transcript_state: 'pending' })).toBe('Transcript pending\u2026');
    expect(transcriptLine({ transcription: null, transcript_state: 'failed' })).toBe('No transcript');
    expect(transcriptLine({ transcription: 'Call me back', transcript_state: 'done' })).toBe('Call me back');
  });
});
