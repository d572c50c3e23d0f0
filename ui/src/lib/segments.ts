// How many SMS segments a body costs: a port of src-tauri/domain/segments.rs (keep the
// two in step; segments.test.ts repeats the Rust tests). GSM-7 fits 160 characters in one
// segment and 153 per segment when split; one character outside GSM-7 switches the whole
// message to UCS-2 (70, then 67 per segment).

export const MAX_BODY_CHARS = 1600;

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** The GSM-7 extension table: each costs two septets (escape + character). */
const GSM7_EXTENDED = '^{}\\[~]|€\u000C';

export interface SegmentInfo {
  encoding: 'gsm7' | 'ucs2';
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
  remaining_in_segment: number;
  /** The distinct characters that forced UCS-2, in order of first appearance. */
  ucs2_chars: string[];
  chars: number;
  too_long: boolean;
}

export function count(body: string): SegmentInfo {
  let septets = 0;
  const ucs2: string[] = [];
  let chars = 0;
  for (const c of body) {
    chars += 1;
    if (GSM7_BASIC.includes(c)) septets += 1;
    else if (GSM7_EXTENDED.includes(c)) septets += 2;
    else if (!ucs2.includes(c)) ucs2.push(c);
  }
  const gsm = ucs2.length === 0;
  const units = gsm ? septets : body.length; // JS string length is UTF-16 code units
  const single = gsm ? 160 : 70;
  const multi = gsm ? 153 : 67;
  const segments = units <= single ? 1 : Math.ceil(units / multi);
  const capacity = segments === 1 ? single : segments * multi;
  return {
    encoding: gsm ? 'gsm7' : 'ucs2',
    units,
    segments,
    remaining_in_segment: Math.max(0, capacity - units),
    ucs2_chars: ucs2,
    chars,
    too_long: chars > MAX_BODY_CHARS,
  };
}
