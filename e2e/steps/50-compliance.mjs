// Compliance against the sandbox's simulator (issue 16): a GB bundle built from its own
// regulation and approved; an AU bundle rejected by the reviewers with field-level reasons,
// copied, corrected and approved; a US number bought, shown as unable to text US phones,
// registered as a Sole Proprietor (the one-time code answered from the simulated mobile)
// through to a number that can text US phones.
//
// The native file dialog cannot be driven here: as the core step "a compliance registration
// is submitted…" does, the registration document's path is written into the draft's stored
// answers directly (the app's own `pick_files` grant check is untouched).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export default async function (ctx) {
  const { step, browser, $t, shot, nav, sql, assert, SANDBOX_DIR } = ctx;

  /** Sets a <select> the way a person does (Svelte's bind:value listens to `change`). */
  const choose = (id, value) =>
    browser.execute(
      (sel, v) => {
        const el = document.querySelector(sel);
        el.value = v;
        el.dispatchEvent(new Event('change', { bubbles: true }));
      },
      `[data-testid="${id}"]`,
      value,
    );
  const fill = async (id, value) => {
    const el = await $t(id);
    await el.waitForDisplayed({ timeout: 5000 });
    await el.setValue(value);
  };
  const statusOf = (name) =>
    browser.execute(
      (n) =>
        [...document.querySelectorAll('[data-testid="bundle"]')]
          .find((a) => a.textContent.includes(n))
          ?.querySelector('[data-testid="bundle-status"]')
          ?.getAttribute('data-status') ?? null,
      name,
    );
  const clickIn = async (name, id) => {
    const card = await browser.$(`article*=${name}`);
    await card.waitForDisplayed({ timeout: 5000 });
    await (await card.$(`[data-testid="${id}"]`)).click();
  };
  const newRegistration = async (country, numberType, endUserType) => {
    await nav('calls');
    await nav('compliance');
    await browser.$('button=New registration').click();
    await choose('reg-country', country);
    await choose('reg-number-type', numberType);
    await choose('reg-end-user-type', endUserType);
    await (await $t('compliance-next')).click();
    await (await $t('regulation-form')).waitForDisplayed({ timeout: 10000 });
  };

  await step('a GB bundle is built from its own regulation, submitted and approved', async () => {
    // The simulated phone of the earlier steps takes a third of the window: put it away.
    if ((await (await $t('toggle-phone')).getAttribute('aria-expanded')) === 'true') await (await $t('toggle-phone')).click();
    await newRegistration('GB', 'local', 'business');
    const sections = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="document-section"]')].map((s) => s.dataset.requirement),
    );
    assert.deepEqual(sections, ['proof_of_address'], 'GB asks for an address and no registration document');
    assert.ok(await browser.$('span=Company Registration Number').isExisting(), "the regulation's own field");
    await fill('business-name', 'Thames Dental Ltd');
    await fill('registration-id', '0944623'); // seven characters: the regulation wants eight
    await (await $t('business-email')).click(); // leaves the field: its check shows
    const issue = await browser.execute(
      () => document.querySelector('[data-field="end_user.business_registration_number"]')?.textContent ?? '',
    );
    assert.match(issue, /at least 8 characters/, 'checked locally as the regulation constrains it');
    await fill('registration-id', '09446231');
    await fill('business-email', 'owner@thamesdental.example');
    await fill('field-address.street', '221 Baker Street');
    await fill('field-address.city', 'London');
    await fill('field-address.region', 'Greater London');
    await fill('field-address.postal_code', 'NW1 6XE');
    await shot('compliance-regulation-form');
    await (await $t('save-regulation-form')).click();
    await browser.waitUntil(async () => (await statusOf('Thames Dental Ltd')) === 'draft', {
      timeout: 5000,
      timeoutMsg: 'the draft is saved',
    });
    await clickIn('Thames Dental Ltd', 'submit-bundle');
    await browser.waitUntil(async () => (await statusOf('Thames Dental Ltd')) === 'twilio-approved', {
      timeout: 20000,
      timeoutMsg: 'the GB bundle is approved after the simulated review',
    });
  });

  await step('an AU bundle is rejected with field-level reasons, copied, corrected and approved', async () => {
    const NAME = 'Harbour Dental Pty Ltd';
    const doc = join(SANDBOX_DIR, 'asic-extract.pdf');
    writeFileSync(doc, '%PDF-1.4 ASIC extract');
    await newRegistration('AU', 'mobile', 'business');
    assert.ok(await $t('pick-business_registration_info').then((b) => b.isExisting()), 'AU asks for a document');
    await fill('business-name', NAME);
    await choose('field-end_user.business_registration_identifier', 'ABN');
    await fill('registration-id', '51824753557'); // a check digit off: the reviewers catch it
    await fill('field-end_user.first_name', 'Ana');
    await fill('field-end_user.last_name', 'Lima');
    await fill('field-end_user.email', 'owner@harbourdental.example');
    await fill('business-email', 'owner@harbourdental.example');
    await fill('field-address.street', '1 George St');
    await fill('field-address.city', 'Sydney');
    await fill('field-address.region', 'NSW');
    await fill('field-address.postal_code', '2000');
    await fill('field-documents.business_registration_info.business_name', NAME);
    await fill('field-documents.business_registration_info.business_registration_number', '51824753557');
    await (await $t('save-regulation-form')).click();
    await browser.waitUntil(async () => (await statusOf(NAME)) === 'draft', { timeout: 5000 });
    const id = sql(`SELECT max(id) FROM compliance WHERE business_name = '${NAME}'`);
    const docIndex = sql(
      `SELECT key FROM compliance, json_each(answers, '$.documents') WHERE compliance.id = ${id} AND json_extract(value, '$.requirement_name') = 'business_registration_info'`,
    );
    sql(`UPDATE compliance SET answers = json_set(answers, '$.documents[${docIndex}].file_path', '${doc}') WHERE id = ${id}`);
    await nav('calls');
    await nav('compliance');
    await clickIn(NAME, 'submit-bundle');
    await browser.waitUntil(async () => (await statusOf(NAME)) === 'twilio-rejected', {
      timeout: 20000,
      timeoutMsg: 'the reviewers reject the ABN',
    });
    await browser.waitUntil(
      () =>
        browser.execute(() =>
          [...document.querySelectorAll('[data-testid="bundle-finding"]')].map((f) => f.dataset.field),
        ).then((f) => f.includes('end_user.business_registration_number')),
      { timeout: 15000, timeoutMsg: "the review's findings are shown by field" },
    );
    await shot('compliance-rejected');

    await clickIn(NAME, 'copy-bundle');
    await (await $t('regulation-form')).waitForDisplayed({ timeout: 10000 });
    const marked = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="field-finding"]')].map((f) => f.dataset.field),
    );
    assert.ok(marked.includes('end_user.business_registration_number'), `the reason sits on its field: ${marked}`);
    await fill('registration-id', '51824753556');
    await fill('field-documents.business_registration_info.business_registration_number', '51824753556');
    await (await $t('save-regulation-form')).click();
    await browser.waitUntil(async () => !(await (await $t('regulation-form')).isExisting()), {
      timeout: 5000,
      timeoutMsg: 'the corrected copy is saved',
    });
    const copy = sql(`SELECT max(id) FROM compliance WHERE business_name = '${NAME}'`);
    assert.notEqual(copy, id, 'the correction is a new registration');
    assert.equal(sql(`SELECT copied_from FROM compliance WHERE id = ${copy}`), id);
    await browser.waitUntil(
      () =>
        browser.execute(
          (i) => document.querySelector(`[data-testid="bundle"][data-id="${i}"] [data-testid="bundle-status"]`)?.dataset.status,
          copy,
        ).then((s) => s === 'draft'),
      { timeout: 5000 },
    );
    await (await browser.$(`[data-testid="bundle"][data-id="${copy}"] [data-testid="submit-bundle"]`)).click();
    await browser.waitUntil(
      () =>
        browser.execute(
          (i) => document.querySelector(`[data-testid="bundle"][data-id="${i}"] [data-testid="bundle-status"]`)?.dataset.status,
          copy,
        ).then((s) => s === 'twilio-approved'),
      { timeout: 20000, timeoutMsg: 'the corrected copy is approved' },
    );
  });

  await step('a US number cannot text US phones until registered; the Sole Proprietor registration gets it there', async () => {
    await nav('numbers');
    await browser.$('button=Buy a number').click();
    const buy = await browser.$('[aria-label="Buy a number"]');
    await buy.waitForDisplayed();
    await browser.execute(() => {
      const [country, type] = document.querySelectorAll('[aria-label="Buy a number"] select');
      country.value = 'US';
      country.dispatchEvent(new Event('change', { bubbles: true }));
      type.value = 'local';
      type.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await (await buy.$('button=Search')).click();
    const first = await buy.$('button=Buy');
    await first.waitForDisplayed({ timeout: 10000 });
    await first.click();
    await browser.waitUntil(
      () => browser.execute(() => [...document.querySelectorAll('p.notice')].some((p) => /is yours/.test(p.textContent))),
      { timeout: 10000, timeoutMsg: 'the US number is bought' },
    );
    const status = await $t('us-status');
    await status.waitForDisplayed({ timeout: 5000 });
    assert.match(await status.getText(), /Cannot text US phones yet/);
    await (await $t('us-fix')).click();

    await (await $t('us-brand-form')).waitForDisplayed({ timeout: 5000 });
    await (await $t('us-kind-sole_proprietor')).click();
    for (const [id, v] of [
      ['us-business-name', 'Harbour Nails'],
      ['us-first-name', 'Dana'],
      ['us-last-name', 'Ruiz'],
      ['us-email', 'dana@harbournails.example'],
      ['us-phone', '+14155550100'],
      ['us-mobile', '+14155550199'],
      ['us-street', '12 Maple St'],
      ['us-city', 'Oakland'],
      ['us-region', 'CA'],
      ['us-zip', '94607'],
    ])
      await fill(id, v);
    await (await $t('us-start')).click();

    const regStep = () =>
      browser.execute(() => document.querySelector('[data-testid="us-registration"]')?.dataset.step ?? null);
    await browser.waitUntil(async () => (await regStep()) === 'brand_otp', {
      timeout: 30000,
      timeoutMsg: 'the brand waits for the one-time code',
    });
    await (await $t('sandbox-otp-text')).waitForDisplayed({ timeout: 10000 });
    const texts = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="sandbox-otp-text"]')].map((t) => t.textContent),
    );
    const code = /\b(\d{6})\b/.exec(texts[texts.length - 1])?.[1];
    assert.ok(code, `a code reached the simulated mobile: ${texts}`);
    await fill('sandbox-otp-reply', code);
    await (await $t('sandbox-otp-send')).click();
    await browser.waitUntil(async () => (await regStep()) === 'campaign', {
      timeout: 30000,
      timeoutMsg: 'the brand is approved and the campaign form appears',
    });
    const form = await $t('us-campaign-form');
    await form.waitForDisplayed();
    await browser.waitUntil(async () => (await browser.$$('[data-testid="us-sample"]')).length >= 2, { timeout: 5000 });
    const samples = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="us-sample"]')].map((t) => t.value).join(' | '),
    );
    assert.match(samples, /Harbour Nails/, `samples are pre-filled: ${samples}`);
    await shot('us-registration');
    await (await $t('us-register-campaign')).click();
    await browser.waitUntil(async () => (await regStep()) === 'done', {
      timeout: 30000,
      timeoutMsg: 'the campaign is approved',
    });
    await browser.waitUntil(
      () => browser.execute(() => document.querySelector('[data-testid="us-number-status"]')?.dataset.state === 'registered'),
      { timeout: 10000, timeoutMsg: 'the number shows registered' },
    );
  });
}
