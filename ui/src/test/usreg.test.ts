// US carrier registration in the UI: a text the carriers blocked says how to fix it and
// links to it, and the Numbers screen says whether each number can text US phones today.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import type { Message, Remedy } from '../lib/types';
import { failedOutbound } from './support';
import MessageBubble from '../components/MessageBubble.svelte';
import Numbers from '../screens/Numbers.svelte';

afterEach(cleanup);

const US = '+14155550142';

/** A text the US carriers blocked (30034): not retryable, fixed by registering the number. */
function blocked(over: Partial<Message>): Message {
  return failedOutbound({
    sid: 'SM0123456789abcdef0123456789abcdef',
    from: US,
    to: '+14155550123',
    body: 'Your nails are ready!',
    error_code: 30034,
    error_message: 'US carriers block texts from US numbers that are not registered for A2P 10DLC.',
    retryable: false,
    remedy: { kind: 'us_registration', number: US },
    ...over,
  });
}

describe('a send the US carriers blocked', () => {
  it('explains 30034 and links to the registration that fixes it', async () => {
    const chosen: Remedy[] = [];
    render(MessageBubble, {
      backend: new FakeBackend(demoData()),
      message: blocked({}),
      onremedy: (r: Remedy) => chosen.push(r),
    });
    expect(screen.getByRole('note').textContent).toContain('not registered for A2P 10DLC');
    await fireEvent.click(screen.getByTestId('remedy'));
    expect(chosen).toEqual([{ kind: 'us_registration', number: US }]);
  });

  it('links a 30032 to the toll-free verification, and offers no form for an opt-out', () => {
    const b = new FakeBackend(demoData());
    render(MessageBubble, {
      backend: b,
      message: blocked({ error_code: 30032, remedy: { kind: 'tollfree_verification', number: '+18885550142' } }),
      onremedy: () => {},
    });
    expect(screen.getByTestId('remedy').textContent).toContain('Verify this toll-free number');
    cleanup();
    render(MessageBubble, {
      backend: b,
      message: blocked({ error_code: 21610, remedy: { kind: 'customer_opted_out' } }),
      onremedy: () => {},
    });
    expect(screen.queryByTestId('remedy')).toBeNull();
  });
});

describe('Numbers: US status', () => {
  it('says an unregistered US number cannot text US phones, and a registered one can', async () => {
    const d = demoData();
    d.numbers = [{ ...d.numbers[0], id: 1, e164: US, friendly_name: 'Salon' }];
    const b = new FakeBackend(d);
    render(Numbers, { backend: b });
    expect((await screen.findByTestId('us-status')).textContent).toContain('Cannot text US phones yet');
    cleanup();
    const r = await b.startUsRegistration(
      'sole_proprietor',
      {
        business_name: 'Maple Street Nails',
        first_name: 'Dana',
        last_name: 'Ruiz',
        email: 'dana@maplenails.example',
        phone: '+14155550100',
        mobile: '+14155550199',
        street: '12 Maple St',
        city: 'Oakland',
        region: 'CA',
        postal_code: '94607',
        website: null,
        ein: null,
        business_type: null,
        industry: null,
        job_title: null,
      },
      [US],
    );
    await b.advanceUsRegistration(r.id);
    await b.setUsCampaign(
      r.id,
      await b.suggestUsCampaign(r.id).then((f) => ({ ...f, message_samples: ['a'.repeat(30), 'b'.repeat(30)] })),
    );
    await b.advanceUsRegistration(r.id);
    render(Numbers, { backend: b });
    await waitFor(async () =>
      expect((await screen.findByTestId('us-status')).textContent).toContain('Can text US phones'),
    );
  });
});
