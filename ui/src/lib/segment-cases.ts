// The bodies both segment counters are checked on against Twilio's own calculator
// (`sms-segments-calculator`): boundary cases around every segment edge, and thousands of
// random bodies from a seeded generator (GSM-7 with escapes, emoji at every position,
// mixed scripts). `scripts/segment-oracle.mjs` writes them, with the calculator's answers,
// to tests/oracles/segments.json for the Rust test; segments.test.ts checks the UI.

/** A small deterministic PRNG (mulberry32), so the cases are the same on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GSM_BASIC =
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ#¤%&\'()*+-/:;<=>¡ÄÖÑÜ§¿äöñüà"\n';
const GSM_ESCAPES = '^{}\\[~]|€\u000C';
const PIECES_UCS2 = [
  'ê',
  'ç',
  'ł',
  'Ж',
  'я',
  'ع',
  'ש',
  '中',
  '文',
  'ア',
  '한',
  'ü\u0301',
  'e\u0301',
  '“',
  '”',
  '‘',
  '’',
  '–',
  '—',
  '…',
  '\u00a0',
];
const EMOJI = ['😀', '👍', '🎉', '❤️', '👍🏽', '👩‍👩‍👧', '🇦🇺', '🇺🇸', '☎️', '✅', '🙂', '👨‍⚕️', '1️⃣', '🏳️‍🌈'];

/** A random body of the given kind and length (in pieces, not code units). */
function randomBody(rand: () => number, kind: number, length: number): string {
  const pick = (s: string | string[]) => {
    const items = typeof s === 'string' ? [...s] : s;
    return items[Math.floor(rand() * items.length)];
  };
  let out = '';
  for (let i = 0; i < length; i++) {
    const r = rand();
    if (kind === 0)
      out += r < 0.9 ? pick(GSM_BASIC) : pick(GSM_ESCAPES); // GSM-7 with escapes
    else if (kind === 1)
      out += r < 0.97 ? pick(GSM_BASIC) : pick(EMOJI); // mostly GSM, an emoji somewhere
    else if (kind === 2)
      out += r < 0.5 ? pick(GSM_BASIC) : r < 0.8 ? pick(PIECES_UCS2) : pick(EMOJI); // mixed scripts
    else if (kind === 3) out += r < 0.85 ? pick(GSM_BASIC) : r < 0.95 ? pick(GSM_ESCAPES) : '\r\n';
    else out += pick(EMOJI); // emoji only
  }
  return out;
}

/** Bodies that sit on a segment edge: where an escape pair or a surrogate pair straddles it. */
function boundaryCases(): string[] {
  const cases: string[] = ['', 'a', 'a'.repeat(160), 'a'.repeat(161), '€'.repeat(80), '€'.repeat(81)];
  for (const n of [150, 151, 152, 153, 154, 159, 160, 161, 305, 306, 307, 458, 459, 460]) {
    cases.push('a'.repeat(n));
    for (const esc of ['€', '{', '\\', '\u000C']) {
      cases.push(
        'a'.repeat(n) + esc,
        'a'.repeat(n - 1) + esc + 'a'.repeat(10),
        'a'.repeat(152) + esc + 'a'.repeat(Math.max(0, n - 152)),
      );
    }
  }
  for (const n of [64, 65, 66, 67, 68, 69, 70, 71, 132, 133, 134, 135, 200, 201]) {
    cases.push('ê'.repeat(n));
    for (const e of ['😀', '👍🏽', '🇦🇺', '👩‍👩‍👧']) {
      cases.push('ê'.repeat(n) + e, 'ê'.repeat(Math.max(0, n - 1)) + e + 'ê'.repeat(5), e.repeat(Math.ceil(n / 2)));
    }
  }
  for (let p = 0; p < 70; p++) cases.push('a'.repeat(p) + '😀' + 'a'.repeat(140 - p)); // an emoji at every position
  cases.push('line one\r\nline two\r\n', 'Tom & Jerry’s — “open” 9–5…', 'a'.repeat(1600), 'a'.repeat(1601));
  return cases;
}

/** Every case, boundary ones first: at least 2,000 random bodies. */
export function segmentCases(randomCount = 2400): string[] {
  const rand = prng(20261130);
  const cases = boundaryCases();
  for (let i = 0; i < randomCount; i++) {
    const kind = i % 5;
    const length = 1 + Math.floor(rand() * (kind === 4 ? 120 : 320));
    cases.push(randomBody(rand, kind, length));
  }
  return cases;
}
