// Costs in the UI: the bulk preview's segments × recipients and estimated cost before Send
// (with a country Twilio has no price for named, and a failed estimate retried), a
// conversation's cost in the thread header (reloaded when a price arrives), and the last
// months' totals in Settings. Amounts are the core's exact decimal text, shown as sent.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import { costMicros, formatMicros } from '../lib/fake_costs';
import { costsText, monthLabel } from '../lib/money';
import { EventHub } from '../lib/events';
import BulkSend from '../screens/BulkSend.svelte';
import ConversationCost from '../components/ConversationCost.svelte';
import MonthlyCosts from '../components/MonthlyCosts.svelte';

afterEach(cleanup);

describe('the bulk estimate before Send', () => {
  it('shows segments × recipients and the cost per country, before anything is sent', async () => {
    const b = new FakeBackend(demoData());
    render(BulkSend, { backend: b });
    await fireEvent.click(await screen.findByLabelText(/Everyone/));
    // Tom opted out: Maria and Priya, both in Australia, one segment each.
    const segments = await screen.findByTestId('bulk-segments');
    expect(segments.textContent).toBe('2 messages × 1 segment = 2 segments');
    expect(screen.getByTestId('bulk-cost').textContent).toContain('Estimated cost: 0.103 USD');
    expect(screen.getByTestId('bulk-estimate').textContent).toContain(
      'Australia: 2 recipients, 2 segments at 0.0515 USD a segment = 0.103 USD',
    );
    expect(b.called('startBulk'), 'an estimate sends nothing').toBe(false);
  });

  it('names a country without a known price and leaves it out of the total', async () => {
    const data = demoData();
    data.contacts.push({ ...data.contacts[0], id: 9, name: 'Jeanne Dupont', phones: ['+33612345678'] });
    const b = new FakeBackend(data);
    render(BulkSend, { backend: b });
    await fireEvent.click(await screen.findByLabelText(/Everyone/));
    await waitFor(() => expect(screen.getByTestId('bulk-segments').textContent).toContain('3 messages'));
    expect(screen.getByTestId('bulk-cost').textContent).toMatch(
      /0\.103 USD\s*, not counting 1 recipient without\s+a known price/,
    );
    expect(screen.getByTestId('bulk-estimate').textContent).toContain('Twilio has no SMS price for FR');
  });

  it('says why an estimate failed and tries again', async () => {
    const b = new FakeBackend(demoData());
    const real = b.estimateBulk.bind(b);
    const spy = vi
      .spyOn(b, 'estimateBulk')
      .mockRejectedValueOnce({ code: 'network', message: 'could not reach Twilio: timed out' });
    render(BulkSend, { backend: b });
    await fireEvent.click(await screen.findByLabelText(/Everyone/));
    const estimate = await screen.findByTestId('bulk-estimate');
    await waitFor(() => expect(estimate.textContent).toContain('could not reach Twilio'));
    spy.mockImplementation(real);
    await fireEvent.click(screen.getByText('Try again'));
    await waitFor(() => expect(screen.getByTestId('bulk-cost').textContent).toContain('0.103 USD'));
  });
});

describe("a conversation's cost", () => {
  it('sums the priced texts, counts the unpriced ones, and reloads when a price arrives', async () => {
    const data = demoData();
    const mine = data.messages.filter((m) => m.conversation_id === 1);
    expect(mine.length).toBeGreaterThan(1);
    mine.forEach((m, i) => {
      m.sid = m.sid ?? `SM${i}`;
      m.price = i === 0 ? null : '-0.00790';
    });
    const hub = new EventHub();
    render(ConversationCost, { backend: new FakeBackend(data), conversationId: 1, bus: hub });
    const n = mine.length - 1;
    const cost = await screen.findByTestId('conversation-cost');
    await waitFor(() => expect(cost.textContent).toContain(`Cost: ${formatMicros(n * 7_900)} USD (+1 not priced yet)`));
    mine[0].price = '-0.00790';
    hub.emit({ type: 'message_updated', conversation_id: 1, message_id: mine[0].id, status: 'delivered' });
    await waitFor(() => expect(cost.textContent).toContain(`Cost: ${formatMicros((n + 1) * 7_900)} USD`));
    expect(cost.textContent).not.toContain('not priced');
  });
});

describe('Settings → Costs', () => {
  it('lists the last months, newest first, with their totals', async () => {
    const data = demoData();
    const [a, b2, c] = data.messages;
    // The demo's texts are minutes or hours old: dated now, so a run across the turn of a
    // month still finds them in this month.
    const now = new Date().toISOString();
    const thisMonth = now.slice(0, 7);
    a.created_at = now;
    b2.created_at = now;
    a.price = '-0.05150';
    b2.price = '-0.00750';
    c.price = '-0.05150';
    c.created_at = '2001-01-15T10:00:00.000Z'; // long before the last six months
    render(MonthlyCosts, { backend: new FakeBackend(data) });
    const table = await screen.findByTestId('monthly-costs');
    await waitFor(() => expect(table.textContent).toContain(monthLabel(thisMonth)));
    expect(table.textContent).toContain('0.059 USD');
    expect(table.textContent).not.toContain('2001');
  });

  it('says so when nothing was priced', async () => {
    render(MonthlyCosts, { backend: new FakeBackend(demoData()) });
    const card = await screen.findByTestId('monthly-costs');
    await waitFor(() => expect(card.textContent).toContain('No priced texts in the last 6 months'));
  });
});

describe('cost text', () => {
  it('reads as the core sums it', () => {
    const usd = (amount: string, messages = 1) => ({ currency: 'USD', micros: 0, amount, messages });
    expect(costsText({ totals: [], unpriced: 0 })).toBe('');
    expect(costsText({ totals: [], unpriced: 2 })).toBe('2 texts not priced yet');
    expect(costsText({ totals: [usd('0.103')], unpriced: 0 })).toBe('0.103 USD');
    expect(costsText({ totals: [usd('1.50'), { ...usd('0.20'), currency: 'GBP' }], unpriced: 1 })).toBe(
      '1.50 USD + 0.20 GBP (+1 not priced yet)',
    );
    expect(monthLabel('2026-11')).toBe('November 2026');
  });

  it("the fake's sums are exact too", () => {
    expect(costMicros('-0.00790')).toBe(7_900);
    expect(costMicros('abc')).toBeNull();
    let sum = 0;
    for (let i = 0; i < 1000; i++) sum += costMicros('-0.00790') ?? 0;
    expect(formatMicros(sum)).toBe('7.90');
    expect(formatMicros(7_900)).toBe('0.0079');
  });
});
