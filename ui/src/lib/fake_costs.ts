// The fake backend's costs (see fake.ts): the same rules as the core's `store::costs` and
// `costs::estimate`, over the fake's own messages and a small price table, so the UI's cost
// pieces can be tried in a browser and in Vitest without Twilio.
import type * as T from './types';
import { count } from './segments';

/** Twilio's "-0.00790" as a positive cost in micros (exact: digits, not float maths). */
export function costMicros(price: string): number | null {
  const m = /^(-?)(\d*)(?:\.(\d{0,6}))?$/.exec(price.trim());
  if (!m || (m[2] === '' && !m[3])) return null;
  const micros = Number(m[2] || '0') * 1_000_000 + Number((m[3] ?? '').padEnd(6, '0'));
  return m[1] === '-' ? micros : -micros;
}

/** Micros as the core writes them: 2 to 6 decimals, exact. */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  let frac = String(abs % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${sign}${Math.floor(abs / 1_000_000)}.${frac}`;
}

function totals(messages: T.Message[]): T.CostTotal[] {
  const micros = messages.reduce((n, m) => n + (costMicros(m.price ?? '') ?? 0), 0);
  return messages.length ? [{ currency: 'USD', micros, amount: formatMicros(micros), messages: messages.length }] : [];
}

const priced = (m: T.Message) => m.price != null && costMicros(m.price) != null;

export function conversationCosts(messages: T.Message[], conversationId: number): T.Costs {
  const mine = messages.filter((m) => m.conversation_id === conversationId && m.channel === 'sms');
  return { totals: totals(mine.filter(priced)), unpriced: mine.filter((m) => m.sid && !priced(m)).length };
}

export function monthlyCosts(messages: T.Message[], months: number, now = new Date()): T.MonthCosts[] {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - Math.max(months, 1) + 1, 1));
  const since = first.toISOString().slice(0, 7);
  const byMonth = new Map<string, T.Message[]>();
  for (const m of messages.filter(priced)) {
    const month = m.created_at.slice(0, 7);
    if (month >= since) byMonth.set(month, [...(byMonth.get(month) ?? []), m]);
  }
  return [...byMonth.keys()]
    .sort()
    .reverse()
    .map((month) => ({ month, totals: totals(byMonth.get(month)!) }));
}

/** Per segment from a long code, in micros of a dollar, by calling code (as the simulator's table). */
const PRICES: [string, string, string, number][] = [
  ['+61', 'AU', 'Australia', 51_500],
  ['+1', 'US', 'United States', 7_900],
  ['+44', 'GB', 'United Kingdom', 46_300],
];

export function estimate(preview: T.BulkPreview): T.BulkEstimate {
  const byCountry = new Map<string, T.CountryEstimate>();
  let maxSegments = 0;
  for (const r of preview.recipients) {
    const segs = Math.max(count(r.body).segments, 1);
    maxSegments = Math.max(maxSegments, segs);
    const row = PRICES.find(([prefix]) => r.to.startsWith(prefix));
    const iso = row?.[1] ?? (r.to.startsWith('+33') ? 'FR' : '');
    const c = byCountry.get(iso) ?? {
      country: iso,
      name: row?.[2] ?? null,
      recipients: 0,
      segments: 0,
      segment_price: row ? formatMicros(row[3]) : null,
      currency: row ? 'USD' : null,
      micros: row ? 0 : null,
      cost: null,
      problem: row ? null : iso ? `Twilio has no SMS price for ${iso}` : 'the country of these numbers is not known',
    };
    c.recipients += 1;
    c.segments += segs;
    if (row) {
      c.micros = (c.micros ?? 0) + segs * row[3];
      c.cost = formatMicros(c.micros);
    }
    byCountry.set(iso, c);
  }
  const countries = [...byCountry.values()].sort((a, b) => a.country.localeCompare(b.country));
  const pricedCountries = countries.filter((c) => c.micros != null);
  const micros = pricedCountries.reduce((n, c) => n + (c.micros ?? 0), 0);
  return {
    recipients: preview.recipients.length,
    segments: countries.reduce((n, c) => n + c.segments, 0),
    max_segments: maxSegments,
    countries,
    totals: pricedCountries.length
      ? [
          {
            currency: 'USD',
            micros,
            amount: formatMicros(micros),
            messages: pricedCountries.reduce((n, c) => n + c.recipients, 0),
          },
        ]
      : [],
    unpriced_recipients: countries.filter((c) => c.micros == null).reduce((n, c) => n + c.recipients, 0),
  };
}
