// The US texting screen: a number that cannot text US phones opens the guided registration
// on it; the Sole Proprietor's code step offers a resend; the campaign comes pre-filled from
// the owner's templates and is checked as Twilio would; polling moves the registration on
// while the screen is open; a toll-free number gets its verification form; and the Numbers
// screen and a blocked send link straight here.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import { campaignIssues, stages } from '../lib/usreg';
import type { CampaignForm } from '../lib/types';
import UsTexting from '../screens/UsTexting.svelte';
import Numbers from '../screens/Numbers.svelte';
import App from '../App.svelte';
import { fill } from './support';

afterEach(cleanup);

const US = '+14155550142';
const TF = '+18885550142';

function backend() {
  const d = demoData();
  d.numbers = [
    { ...d.numbers[0], id: 1, e164: US, sid: 'PN1', friendly_name: 'Salon' },
    { ...d.numbers[0], id: 2, e164: TF, sid: 'PN2', friendly_name: 'Salon toll-free' },
  ];
  return new FakeBackend(d);
}

describe('the campaign checks', () => {
  it('are those of Twilio’s reviewers', () => {
    const ok: CampaignForm = {
      usecase: 'SOLE_PROPRIETOR',
      description: 'Appointment reminders and replies to customers who text the salon.',
      message_flow: 'Customers give their mobile number at the front desk and agree to texts about bookings.',
      message_samples: ['Hi Sam, your appointment is tomorrow at 2pm.', 'Your nails are ready, see you soon!'],
      has_embedded_links: false,
      has_embedded_phone: false,
      opt_in_message: null,
    };
    expect(campaignIssues('sole_proprietor', ok)).toEqual({});
    expect(Object.keys(campaignIssues('sole_proprietor', { ...ok, usecase: 'MARKETING' }))).toEqual(['usecase']);
    expect(campaignIssues('sole_proprietor', { ...ok, message_samples: ['hi', ok.message_samples[0]] })).toHaveProperty(
      'sample.0',
    );
    expect(
      campaignIssues('standard', { ...ok, usecase: 'MARKETING', message_samples: [ok.message_samples[0]] }),
    ).toEqual({
      samples: 'give two to five sample messages',
    });
  });
});

describe('US texting', () => {
  it('registers a Sole Proprietor from the number it was opened on, through the code and the campaign', async () => {
    const b = backend();
    render(UsTexting, { backend: b, focus: US, pollMs: 20 });
    expect((await screen.findByTestId('us-brand-form')).textContent).toContain('Sole Proprietor');
    for (const [id, v] of [
      ['us-business-name', 'Maple Street Nails'],
      ['us-first-name', 'Dana'],
      ['us-last-name', 'Ruiz'],
      ['us-email', 'dana@maplenails.example'],
      ['us-phone', '+14155550100'],
      ['us-mobile', '+14155550199'],
      ['us-street', '12 Maple St'],
      ['us-city', 'Oakland'],
      ['us-region', 'CA'],
      ['us-zip', '94607'],
    ])
      await fill(id, v);
    await fireEvent.click(screen.getByTestId('us-start'));
    const started = b.calls.find((c) => c.method === 'startUsRegistration')!;
    expect(started.args[0]).toBe('sole_proprietor');
    expect(started.args[2]).toEqual([US]);
    expect((started.args[1] as { ein: unknown }).ein, 'no tax ID on this path').toBeNull();

    // The code step: it waits for the owner's reply.
    const otp = await screen.findByTestId('us-otp');
    expect(otp.textContent).toContain('(415) 555-0199');
    await fireEvent.click(screen.getByTestId('us-resend-otp'));
    await waitFor(() => expect(b.called('resendUsOtp')).toBe(true));

    // The owner replies to the text from their mobile; polling moves it on to the
    // campaign, pre-filled from the templates.
    expect(await b.simReplyBrandOtp('+14155550199', '123456')).toBe(true);
    const campaign = await screen.findByTestId('us-campaign-form', {}, { timeout: 2000 });
    await waitFor(() => expect(screen.getAllByTestId('us-sample').length).toBeGreaterThanOrEqual(1));
    const samples = screen.getAllByTestId('us-sample') as HTMLTextAreaElement[];
    expect(samples[0].value).toContain('Maple Street Nails');
    await fireEvent.input(samples[0], { target: { value: 'too short' } });
    await fireEvent.click(screen.getByTestId('us-register-campaign'));
    expect(campaign.textContent).toContain('sample 1 must be 20 to 1,024 characters');
    expect(b.called('setUsCampaign'), 'not sent while the reviewers would refuse it').toBe(false);
    await fireEvent.input(samples[0], { target: { value: 'Hi Sam, your appointment is tomorrow at 2pm.' } });
    while ((screen.getAllByTestId('us-sample') as HTMLTextAreaElement[]).length < 2)
      await fireEvent.click(screen.getByText('Add a sample'));
    const again = screen.getAllByTestId('us-sample') as HTMLTextAreaElement[];
    await fireEvent.input(again[1], { target: { value: 'Your nails are ready, see you soon at the salon!' } });
    await fireEvent.click(screen.getByTestId('us-register-campaign'));
    await waitFor(() => expect(b.called('setUsCampaign')).toBe(true));
    await waitFor(() => expect(screen.getByTestId('us-registration').dataset.step).toBe('done'), { timeout: 2000 });
    const done = b.usRegs[0];
    expect(stages(done).map((s) => s.state)).toEqual(['done', 'done', 'done', 'done']);
  });

  it('verifies a toll-free number with its own form and shows its status', async () => {
    const b = backend();
    render(UsTexting, { backend: b, pollMs: 10_000 });
    const card = await screen.findByTestId('tollfree');
    expect(card.dataset.status).toBe('none');
    await fill('tf-business-name', 'Maple Street Nails');
    await fill('tf-website', 'https://maplenails.example');
    await fill('tf-email', 'dana@maplenails.example');
    await fill('tf-summary', 'Appointment reminders for salon customers.');
    await fill('tf-sample', 'Hi Sam, your appointment is tomorrow at 2pm.');
    await fill('tf-optin-url', 'https://maplenails.example/sms');
    await fireEvent.click(screen.getByTestId('tf-submit'));
    await waitFor(() => expect(screen.getByTestId('tollfree').dataset.status).toBe('PENDING_REVIEW'));
    const [e164, form] = b.calls.find((c) => c.method === 'submitTollfreeVerification')!.args as [
      string,
      { tollfree_phone_number_sid: string },
    ];
    expect(e164).toBe(TF);
    expect(form.tollfree_phone_number_sid).toBe('PN2');
  });
});

describe('links to the fix', () => {
  it('the Numbers screen opens US texting on a number that cannot text US phones', async () => {
    const b = backend();
    const opened: string[] = [];
    render(Numbers, { backend: b, onregister: (e164: string) => opened.push(e164) });
    const fix = await screen.findByTestId('us-fix');
    expect(fix.textContent).toContain('Register for US texting');
    await fireEvent.click(fix);
    expect(opened).toEqual([US]);
  });

  it('in the app, "Register for US texting" opens the registration on that number', async () => {
    const b = backend();
    render(App, { backend: b });
    await fireEvent.click(await screen.findByTestId('nav-numbers'));
    await fireEvent.click(await screen.findByTestId('us-fix'));
    expect(await screen.findByRole('heading', { level: 1, name: 'US texting' })).toBeTruthy();
    expect(((await screen.findByTestId('us-number')) as HTMLSelectElement).value).toBe(US);
  });
});
