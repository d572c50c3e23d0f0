// How many SMS segments a body costs, by Twilio's own calculator (`sms-segments-calculator`,
// published by TwilioDevEd), so the meter shows what Twilio will bill. GSM-7 fits 160
// septets in one segment and 153 per part when split; one character outside GSM-7 switches
// the whole message to UCS-2 (70, then 67 UTF-16 units). A part never splits an escape pair
// (€, {, [ …) or a character made of several units (an emoji), so a part can hold one unit
// fewer. src-tauri/domain/segments.rs counts the same way; both are checked against the
// calculator over the same bodies (segments.test.ts, tests/oracles/segments.json).
import { SegmentedMessage } from 'sms-segments-calculator';
import SmartEncodingMap from 'sms-segments-calculator/dist/libs/SmartEncodingMap';

export const MAX_BODY_CHARS = 1600;

export interface SegmentInfo {
  encoding: 'gsm7' | 'ucs2';
  /** The encoding as Twilio's calculator names it. */
  encoding_name: 'GSM-7' | 'UCS-2';
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
  /** Units the last part can still take before another part starts. */
  remaining_in_segment: number;
  /** The distinct characters that forced UCS-2, in order of first appearance. */
  ucs2_chars: string[];
  /** Characters (Unicode scalar values), the measure of Twilio's 1,600 limit. */
  chars: number;
  too_long: boolean;
  /** Whether replacing smart quotes, dashes and the like would leave the text GSM-7. */
  lookalikes_make_gsm7: boolean;
}

const SEGMENT_BITS = 1120;

export function count(body: string): SegmentInfo {
  const m = new SegmentedMessage(body, 'auto');
  const gsm = m.encodingName === 'GSM-7';
  const unitBits = gsm ? 7 : 16;
  const last = m.segments[m.segments.length - 1];
  const free = SEGMENT_BITS - last.sizeInBits();
  const ucs2 = [...new Set(m.getNonGsmCharacters())];
  const chars = [...body].length;
  return {
    encoding: gsm ? 'gsm7' : 'ucs2',
    encoding_name: m.encodingName,
    units: gsm ? m.encodedChars.reduce((n, c) => n + c.codeUnits.length, 0) : body.length,
    segments: m.segmentsCount,
    remaining_in_segment: Math.max(0, Math.floor(free / unitBits)),
    ucs2_chars: ucs2,
    chars,
    too_long: chars > MAX_BODY_CHARS,
    lookalikes_make_gsm7: !gsm && new SegmentedMessage(toGsmLookalikes(body), 'auto').encodingName === 'GSM-7',
  };
}

/** Smart quotes, dashes, ellipses, odd spaces… replaced by their GSM-7 look-alikes, the
 *  way Twilio's Smart Encoding would: the one-click fix the meter offers. */
export function toGsmLookalikes(body: string): string {
  return [...body].map((c) => SmartEncodingMap[c] ?? c).join('');
}
