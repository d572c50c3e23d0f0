// Contacts at scale and campaigns (issue 15): a CSV import through the real dialog flow,
// tags and a blocked number, and the campaign history with a Cancel.
//
// The CSV file: WebDriver cannot drive the native GTK file chooser, so the import could
// not get past "Choose a CSV file…". The app has a sandbox-only stand-in for it
// (src-tauri/core/src/picked/staged.rs): when it runs `sandbox` (its own data folder,
// never the owner's), `pick_files` first takes a file staged in
// `<sandbox data dir>/staged-picks/<kind>/` and grants it exactly as a chosen file (same
// checks, same opaque token), and opens the real dialog when nothing is staged. Outside
// the sandbox that folder is never looked at, so production keeps the real dialog and
// no command ever takes a path from the webview.
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CSV = [
  'Name,Mobile,Email,Tags',
  'Lena Ortiz,0412 700 001,lena@example.com,VIP',
  '"Bellini, Marco",+61 412 700 002,,VIP; Tuesday',
  'Sam Wu,(04) 1270 0003,,VIP',
  'Maria R,0499 000 001,,regular',
  'Bad Number,12345,,',
  'Lena again,+61412700001,,',
  'Kim Lee,0412 700 004,,VIP',
].join('\r\n');

/** The simulated customer texts the business (as the tray step does). */
async function customerText(SANDBOX_DIR, from, body) {
  const sim = JSON.parse(readFileSync(join(SANDBOX_DIR, 'sandbox-sim.json'), 'utf8'));
  const res = await fetch(`${sim.base_url}/2010-04-01/Accounts/${sim.account_sid}/Sandbox/CustomerMessages.json`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${sim.account_sid}:${sim.auth_token}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ From: from, To: sim.business_number, Body: body }),
  });
  if (res.status !== 201) throw new Error(`the simulator refused the text: ${res.status} ${await res.text()}`);
}

/** The contact row whose text contains `name`. */
async function row(browser, name) {
  const rows = await browser.$$('[data-testid="contact"]');
  for (const r of rows) if ((await r.getText()).includes(name)) return r;
  throw new Error(`no contact row for ${name}`);
}

export default async function (ctx) {
  const { step, browser, $t, text, shot, nav, sql, assert, SANDBOX_DIR } = ctx;

  await step('a CSV import: mapping, a normalised preview with a merge, and the report of refused rows', async () => {
    const staged = join(SANDBOX_DIR, 'staged-picks', 'contacts');
    mkdirSync(staged, { recursive: true });
    writeFileSync(join(staged, 'shop-contacts.csv'), `\ufeff${CSV}\r\n`);
    await nav('contacts');
    await (await $t('import-open')).click();
    await (await $t('import-choose')).click();
    const table = await $t('import-preview');
    await table.waitForDisplayed({ timeout: 10000 });
    const shown = await table.getText();
    assert.match(shown, /\+61 412 700 003/, 'a national number is shown in E.164 for the business number\'s country');
    assert.match(shown, /Merged into Maria Rossi/, 'a row with a known number merges');
    assert.match(await text('import-summary'), /4 new · 1 merged.*2 refused/s);
    assert.equal(await (await $t('map-email')).getValue(), '2', 'the Email column is guessed from the header');
    await shot('contacts-import');
    await (await $t('import-run')).click();
    const report = await $t('import-report');
    await report.waitForDisplayed({ timeout: 10000 });
    const refused = await text('import-refused');
    assert.match(refused, /Row 6 \(Bad Number\): "12345" is not a phone number/);
    assert.match(refused, /Row 7 \(Lena again\): \+61412700001 is already on row 2/);
    assert.equal(sql("SELECT COUNT(*) FROM contact_phones WHERE address LIKE '+614127000%'"), '4');
    assert.equal(sql("SELECT COUNT(*) FROM contact_tags t JOIN contact_phones p USING (contact_id) WHERE t.tag = 'VIP'"), '4');
    await browser.$('button=Done').click();
  });

  await step('tags filter and edit; a blocked number\'s text is stored but hidden, and shows again when unblocked', async () => {
    await nav('contacts');
    await browser.waitUntil(async () => (await browser.$$('[data-testid="contact"]')).length >= 7, { timeout: 5000, timeoutMsg: 'the imported contacts are listed' });
    await (await $t('tag-filter')).selectByVisibleText('VIP');
    await browser.waitUntil(async () => (await browser.$$('[data-testid="contact"]')).length === 4, { timeout: 5000, timeoutMsg: 'four contacts tagged VIP' });
    const kim = await row(browser, 'Kim Lee');
    await (await kim.$('[data-testid="contact-more"]')).click();
    const input = await $t('tags-input');
    await input.setValue('VIP, wholesale');
    await (await $t('tags-save')).click();
    await browser.waitUntil(async () => sql("SELECT group_concat(tag, ',') FROM (SELECT t.tag FROM contact_tags t JOIN contacts c ON c.id = t.contact_id WHERE c.name = 'Kim Lee' ORDER BY t.tag)") === 'VIP,wholesale', { timeout: 5000, timeoutMsg: 'the tags are saved' });

    const marco = await row(browser, 'Bellini, Marco');
    await (await marco.$('[data-testid="contact-more"]')).click();
    await (await $t('block-phone')).click();
    await browser.waitUntil(async () => sql("SELECT COUNT(*) FROM blocked_addresses WHERE address = '+61412700002'") === '1', { timeout: 5000, timeoutMsg: 'the number is blocked' });
    await browser.waitUntil(async () => (await (await row(browser, 'Bellini, Marco')).getText()).includes('blocked'), { timeout: 5000, timeoutMsg: 'the row shows the number blocked' });

    const body = `Cheap followers ${Date.now()}`;
    await customerText(SANDBOX_DIR, '+61412700002', body);
    await browser.waitUntil(async () => sql(`SELECT COUNT(*) FROM messages WHERE from_addr = '+61412700002' AND body = '${body}'`) === '1', { timeout: 10000, timeoutMsg: 'the blocked number\'s text is stored' });
    await nav('inbox');
    await browser.pause(500);
    const inbox = await browser.execute(() => [...document.querySelectorAll('[data-testid="conversation"]')].map((c) => c.textContent).join('\n'));
    assert.ok(!inbox.includes('Bellini'), `the blocked number's thread is hidden from the inbox: ${inbox}`);

    await nav('contacts');
    await (await $t('blocked-open')).click();
    const item = await $t('blocked');
    await item.waitForDisplayed({ timeout: 5000 });
    assert.match(await item.getText(), /\+61 412 700 002/);
    await (await item.$('[data-testid="unblock"]')).click();
    await (await $t('blocked-empty')).waitForDisplayed({ timeout: 5000 });
    await nav('inbox');
    await browser.waitUntil(async () => (await browser.execute(() => document.body.innerText)).includes('Bellini, Marco'), { timeout: 10000, timeoutMsg: 'unblocked, the thread shows again' });
  });

  await step('a bulk send to a tag shows in the campaign history, and Cancel stops it', async () => {
    // One text every 10 s from the business number, so the campaign is still running when
    // Cancel is pressed (the pace is read at each send; removed again below).
    sql("INSERT OR REPLACE INTO settings (key, value) SELECT 'send_rate:' || e164, '0.1' FROM numbers");
    try {
      await nav('bulk');
      const screen = await browser.$('section[aria-label="Bulk send"]');
      await (await screen.$('select')).selectByVisibleText('Order ready');
      const vip = await browser.$('[data-testid="audience-tag"][value="VIP"]');
      await vip.waitForDisplayed({ timeout: 5000 });
      await vip.click();
      const send = await browser.$('button*=Send 4 messages');
      await send.waitForDisplayed({ timeout: 5000 });
      await send.click();
      await (await $t('bulk-progress')).waitForDisplayed({ timeout: 5000 });

      await nav('campaigns');
      const first = await $t('campaign');
      await first.waitForDisplayed({ timeout: 5000 });
      assert.match(await first.getText(), /Order ready.*tag VIP/s, 'when, template and audience');
      await (await first.$('[data-testid="campaign-open"]')).click();
      const detail = await $t('campaign-detail');
      await detail.waitForDisplayed({ timeout: 5000 });
      await browser.$('button=Cancel campaign').click();
      await (await $t('confirm')).click();
      await browser.waitUntil(async () => (await text('campaign-state')) === 'cancelled', { timeout: 10000, timeoutMsg: 'the campaign shows cancelled' });
      assert.equal(sql('SELECT state FROM campaigns ORDER BY id DESC LIMIT 1'), 'cancelled');
      await browser.waitUntil(async () => (await browser.$$('[data-testid="campaign-recipient"]')).length === 4, { timeout: 5000, timeoutMsg: 'one row per recipient' });
      const outcomes = await browser.execute(() => [...document.querySelectorAll('[data-testid="campaign-recipient"]')].map((r) => r.textContent).join('\n'));
      assert.match(outcomes, /cancelled/, `recipients not reached are shown cancelled: ${outcomes}`);
      await shot('campaign-history');
    } finally {
      sql("DELETE FROM settings WHERE key IN (SELECT 'send_rate:' || e164 FROM numbers)");
    }
  });
}
