// The meter against Twilio's own calculator over the shared cases, and the cases file the
// Rust test reads (tests/oracles/segments.json) against the calculator installed here.
// `npm run segment-oracle` rewrites that file (only after upgrading the calculator).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SegmentedMessage } from 'sms-segments-calculator';
import { count, toGsmLookalikes } from './segments';
import { segmentCases } from './segment-cases';

// Vitest runs in ui/.
const ORACLE = resolve(process.cwd(), '../tests/oracles/segments.json');

interface Case {
  body: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  non_gsm: string[];
}

function twilio(body: string): Case {
  const m = new SegmentedMessage(body, 'auto');
  return { body, encoding: m.encodingName, segments: m.segmentsCount, non_gsm: [...new Set(m.getNonGsmCharacters())] };
}

describe('segment counts agree with Twilio’s calculator', () => {
  const cases = segmentCases();

  it('covers the boundaries and at least 2,000 generated bodies', () => {
    expect(cases.length).toBeGreaterThan(2400);
  });

  it('the meter shows the calculator’s encoding, segments and the characters that forced UCS-2', () => {
    for (const body of cases) {
      const want = twilio(body);
      const got = count(body);
      expect([got.encoding_name, got.segments, got.ucs2_chars], JSON.stringify(body)).toEqual([
        want.encoding,
        want.segments,
        want.non_gsm,
      ]);
    }
  });

  it('tests/oracles/segments.json is what the calculator answers for the same bodies', () => {
    const fresh = { calculator: 'sms-segments-calculator 1.3.0', cases: cases.map(twilio) };
    if (process.env.SEGMENT_ORACLE_WRITE) writeFileSync(ORACLE, JSON.stringify(fresh, null, 0) + '\n');
    const stored = JSON.parse(readFileSync(ORACLE, 'utf8'));
    expect(stored.cases.length).toBe(fresh.cases.length);
    expect(stored).toEqual(fresh);
  });
});

describe('segment edges the old count got wrong', () => {
  it('never splits an escape pair across parts', () => {
    // 152 × a, €, 152 × a: 306 septets, but € cannot straddle parts 1 and 2.
    expect(count('a'.repeat(152) + '€' + 'a'.repeat(152)).segments).toBe(3);
  });
  it('never splits an emoji across parts', () => {
    expect(count('ê'.repeat(66) + '😀' + 'ê'.repeat(66)).segments).toBe(3);
  });
  it('counts what is left in the current part', () => {
    expect(count('a'.repeat(150)).remaining_in_segment).toBe(10);
    expect(count('ê'.repeat(60)).remaining_in_segment).toBe(10);
    expect(count('').segments).toBe(1);
  });
  it('flags bodies Twilio refuses', () => {
    expect(count('a'.repeat(1600)).too_long).toBe(false);
    expect(count('a'.repeat(1601)).too_long).toBe(true);
  });
});

describe('GSM-7 look-alikes', () => {
  it('replaces smart quotes, dashes and ellipses, and says when that makes the text GSM-7', () => {
    const body = 'Tom’s “open” 9–5 — see you…';
    expect(count(body).lookalikes_make_gsm7).toBe(true);
    expect(toGsmLookalikes(body)).toBe('Tom\'s "open" 9-5 - see you...');
    expect(count(toGsmLookalikes(body)).encoding_name).toBe('GSM-7');
  });
  it('does not offer it when an emoji would keep the text UCS-2', () => {
    expect(count('“hi” 😀').lookalikes_make_gsm7).toBe(false);
  });
});
