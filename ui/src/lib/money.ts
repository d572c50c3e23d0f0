// Costs as the core sends them: exact decimal text per currency (`CostTotal.amount`), never
// re-computed from floats here, so what the UI shows is the sum the store made.
import type { CostTotal, Costs } from './types';

/** "0.103 USD"; several currencies joined with " + ". */
export function totalsText(totals: CostTotal[]): string {
  return totals.map((t) => `${t.amount} ${t.currency}`.trim()).join(' + ');
}

/** "0.103 USD", "0.103 USD (+2 not priced yet)", "2 texts not priced yet", or "" for nothing. */
export function costsText(c: Costs): string {
  const total = totalsText(c.totals);
  const pending = c.unpriced === 1 ? '1 text not priced yet' : `${c.unpriced} texts not priced yet`;
  if (!total) return c.unpriced > 0 ? pending : '';
  return c.unpriced > 0 ? `${total} (+${c.unpriced} not priced yet)` : total;
}

/** "2026-11" as "November 2026" (UTC month, as the store groups them). */
export function monthLabel(month: string): string {
  const [y, m] = month.split('-').map(Number);
  if (!y || !m) return month;
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}
