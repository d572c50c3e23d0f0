// Desktop end-to-end test: the real app (WebKitGTK) in sandbox mode, driven through
// tauri-driver + WebKitWebDriver. Run by e2e/run.sh, which sets APP_BIN and
// SWITCHBOARD_DATA_DIR and starts tauri-driver on 127.0.0.1:4444.
import { remote } from 'webdriverio';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const APP_BIN = process.env.APP_BIN;
const DATA = process.env.SWITCHBOARD_DATA_DIR;
assert.ok(APP_BIN && DATA, 'APP_BIN and SWITCHBOARD_DATA_DIR must be set (use e2e/run.sh)');
const SANDBOX_DIR = join(DATA, 'sandbox');
const DB = join(SANDBOX_DIR, 'switchboard.db');
// Test output, never the docs: `make screenshots` copies these to docs/screenshots on purpose.
const SHOTS = process.env.SCREENSHOT_DIR ?? join(here, '..', '.e2e-out', 'screenshots');
mkdirSync(SHOTS, { recursive: true });

/** Runs SQL against the app's store (WAL lets us write while the app reads). */
function sql(script) {
  return execFileSync('python3', ['-c', `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
c.executescript(sys.stdin.read()) if sys.argv[2] == 'exec' else None
if sys.argv[2] == 'query':
    for row in c.execute(sys.stdin.read()): print('|'.join('' if v is None else str(v) for v in row))
c.commit()
`, DB, script.trim().toUpperCase().startsWith('SELECT') ? 'query' : 'exec'], { input: script }).toString().trim();
}

/** A 2-second 440 Hz mono WAV, so the player has a real duration to read. */
function wav(seconds = 2, rate = 8000) {
  const n = seconds * rate;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0); b.writeUInt32LE(36 + n * 2, 4); b.write('WAVE', 8); b.write('fmt ', 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return b;
}

const results = [];
async function step(name, fn) {
  const t = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e?.message ?? e}`);
    // What the window showed, for whoever reads the CI log.
    const failed = join(tmpdir(), `switchboard-e2e-failed-${results.length}.png`);
    await browser.saveScreenshot(failed).then(() => console.log(`     screenshot: ${failed}`), () => {});
    const alerts = await browser.execute(() => [...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent.trim())).catch(() => []);
    if (alerts.length) console.log(`     alerts on screen: ${JSON.stringify(alerts)}`);
    throw e;
  }
}

const browser = await remote({
  hostname: '127.0.0.1',
  port: 4444,
  logLevel: 'error',
  capabilities: { 'tauri:options': { application: APP_BIN, args: ['sandbox'] } },
});

const $t = (id) => browser.$(`[data-testid="${id}"]`);
/** The text of a test id, read in the page (no stale element handles across re-renders). */
const text = (id) => browser.execute((sel) => document.querySelector(sel)?.textContent?.trim() ?? null, `[data-testid="${id}"]`);
const shot = async (name) => {
  await browser.pause(250);
  await browser.saveScreenshot(join(SHOTS, `${name}.png`));
};
const nav = async (id) => {
  await (await $t(`nav-${id}`)).click();
  await browser.pause(150);
};

try {
  await browser.setWindowSize(1200, 780).catch(() => {});

  await step('the window opens in sandbox mode with a clear banner', async () => {
    const banner = await $t('sandbox-banner');
    await banner.waitForDisplayed({ timeout: 15000 });
    assert.match(await banner.getText(), /SANDBOX/);
    assert.equal(await browser.getTitle(), 'Switchboard');
  });

  await step('the startup catch-up with Twilio is summarised (while you were away)', async () => {
    const away = await $t('away-summary');
    await away.waitForDisplayed({ timeout: 15000 });
    assert.match(await away.getText(), /While you were away: 7 messages, 0 calls, 0 voicemails/);
  });

  await step('the inbox renders (empty, or with what the sandbox seeded)', async () => {
    await browser.waitUntil(async () => browser.execute(() => !!document.querySelector('[data-testid="inbox-empty"], [data-testid="conversation"]')), { timeout: 10000, timeoutMsg: 'inbox list or empty state' });
  });

  await step('seeded history appears in the inbox after navigating', async () => {
    mkdirSync(join(SANDBOX_DIR, 'recordings'), { recursive: true });
    writeFileSync(join(SANDBOX_DIR, 'recordings', 'RE1.wav'), wav());
    sql(readFileSync(join(here, 'seed.sql'), 'utf8'));
    await nav('calls');
    await nav('inbox');
    await browser.waitUntil(async () => (await browser.$$('[data-testid="conversation"]')).length >= 3, { timeout: 10000, timeoutMsg: 'our three conversations' });
    assert.ok(Number(await text('unread-total')) >= 3, 'the sidebar shows the unread total');
  });

  await step('hostile message text renders as text and runs nothing', async () => {
    const maria = await browser.$('button*=Maria Rossi');
    await maria.click();
    await (await $t('thread-title')).waitForDisplayed();
    const bodies = await browser.$$('[data-testid="message-body"]').map((b) => b.getText());
    assert.ok(bodies.includes(`<img src=x onerror="document.title='pwned-img'">`), `img payload shown as text: ${JSON.stringify(bodies)}`);
    assert.ok(bodies.includes(`<script>document.title='pwned-script'</script>`), 'script payload shown as text');
    const imgs = await browser.execute(() => document.querySelectorAll('[data-testid="thread"] img').length);
    assert.equal(imgs, 0, 'no <img> element was created from a message');
    const scripts = await browser.execute(() => document.querySelectorAll('main script').length);
    assert.equal(scripts, 0, 'no <script> element was created from a message');
    assert.equal(await browser.getTitle(), 'Switchboard', 'no payload ran');
    await browser.waitUntil(async () => sql('SELECT unread FROM conversations WHERE id = 9001') === '0', { timeout: 5000, timeoutMsg: 'opening the thread marks it read in the store' });
  });

  await step('the composer meters segments', async () => {
    const box = await $t('composer');
    await box.setValue('Crème brûlée at 4');
    assert.match(await (await $t('segment-meter')).getText(), /UCS-2 · 1 segment/);
    await box.clearValue();
    await box.setValue('Thanks Maria, see you at 4!');
    assert.match(await (await $t('segment-meter')).getText(), /GSM-7 · 1 segment/);
    await shot('inbox');
  });

  await step('arrow keys move through conversations', async () => {
    await browser.$('button*=Priya Shah').click();
    await browser.waitUntil(async () => (await text('thread-title')) === 'Priya Shah', { timeout: 5000 });
    const names = await browser.execute(() => [...document.querySelectorAll('[data-testid="conversation"] .name')].map((e) => e.textContent));
    const next = names[names.indexOf('Priya Shah') + 1];
    await browser.keys(['ArrowDown']);
    await browser.waitUntil(async () => (await text('thread-title')) === next, { timeout: 5000, timeoutMsg: 'ArrowDown opens the next conversation' });
    await browser.keys(['ArrowUp']);
    await browser.waitUntil(async () => (await text('thread-title')) === 'Priya Shah', { timeout: 5000, timeoutMsg: 'ArrowUp goes back' });
    await browser.$('button*=Tom Nguyen').click();
    await browser.waitUntil(async () => (await text('thread-title')) === 'Tom Nguyen', { timeout: 5000 });
    assert.ok(await (await $t('opted-out-note')).isDisplayed(), 'an opted-out customer cannot be texted');
    const why = await browser.$('.why').getText();
    assert.match(why, /unreachable.*30003/s, 'a failed message explains its error');
    await shot('inbox-failed-and-opted-out');
  });

  await step('Ctrl+K searches the full text', async () => {
    await nav('settings');
    await browser.keys(['Control', 'k']);
    await browser.keys(['Control']);
    const search = await $t('search');
    await browser.waitUntil(async () => (await browser.execute(() => document.activeElement?.getAttribute('data-testid'))) === 'search', { timeout: 5000, timeoutMsg: 'Ctrl+K focuses the search box' });
    await search.setValue('chocolate');
    const hit = await $t('search-hit');
    await hit.waitForDisplayed({ timeout: 5000 });
    assert.match(await hit.getText(), /chocolate/);
    await shot('search');
    await search.clearValue();
  });

  await step('calls screen shows the log', async () => {
    await nav('calls');
    await browser.waitUntil(async () => (await browser.$$('[data-testid="call"]')).length >= 2, { timeout: 5000 });
    await shot('calls');
  });

  await step('a voicemail plays from the local file', async () => {
    await nav('voicemail');
    await browser.$('button*=+61 499 000 003').click();
    const audio = await $t('audio');
    await audio.waitForExist({ timeout: 5000 });
    await browser.waitUntil(async () => (await browser.execute(() => document.querySelector('audio')?.duration ?? 0)) > 1.5, { timeout: 10000, timeoutMsg: 'the audio element reads the 2-second duration' });
    const duration = await browser.execute(() => document.querySelector('audio').duration);
    assert.ok(Math.abs(duration - 2) < 0.2, `duration ${duration} is about 2 s`);
    await (await $t('play')).click();
    await browser.waitUntil(async () => sql("SELECT listened FROM voicemails WHERE recording_sid = 'RE00000000000000000000000000000001'") === '1', { timeout: 5000, timeoutMsg: 'playing marks the voicemail heard' });
    await browser.waitUntil(async () => browser.execute(() => document.querySelector('audio')?.ended === true), { timeout: 10000, timeoutMsg: 'playback reaches the end' });
    await shot('voicemail');
  });

  await step('contacts show opt-out read-only', async () => {
    await nav('contacts');
    await browser.waitUntil(async () => (await browser.$$('[data-testid="contact"]')).length >= 3, { timeout: 5000 });
    assert.equal(await (await $t('opted-out')).getText(), 'Opted out');
    await shot('contacts');
  });

  await step('forwarding settings save to the store', async () => {
    await nav('numbers');
    await browser.$('button*=+61 255 509 999').click();
    const fwd = await $t('forwarding-number');
    await fwd.waitForDisplayed({ timeout: 5000 });
    await fwd.clearValue();
    await fwd.setValue('+61 412 999 888');
    await (await $t('greeting')).setValue('Hello from the e2e test');
    await (await $t('hours-on')).click();
    await (await $t('hours-editor')).waitForDisplayed();
    await (await $t('save-number')).click();
    await browser.$('p.ok').waitForDisplayed({ timeout: 5000 });
    const row = sql('SELECT forwarding_number, greeting, business_hours IS NOT NULL FROM numbers WHERE id = 9001');
    assert.equal(row, '+61412999888|Hello from the e2e test|1', 'the settings reached the store (the TwiML is built from them)');
    await shot('numbers-hours');
    await browser.execute(() => document.querySelector('main .screen')?.scrollTo(0, 0));
    await shot('numbers');
  });

  await step('compliance form guides step by step', async () => {
    await nav('compliance');
    await browser.$('button=New registration').click();
    await (await $t('compliance-next')).click();
    await (await $t('business-name')).setValue('Ana Bakery Pty Ltd');
    await (await $t('business-email')).setValue('ana@example.com');
    await (await $t('registration-id')).setValue('51824753556');
    await shot('compliance');
  });

  await step('templates and bulk send preview', async () => {
    await nav('templates');
    await browser.waitUntil(async () => (await browser.$$('[data-testid="template"]')).length >= 2, { timeout: 5000 });
    await shot('templates');
    await nav('bulk');
    await browser.$('label*=Everyone').click();
    const skipped = await $t('skipped');
    await skipped.waitForDisplayed({ timeout: 5000 });
    assert.ok(Number(await skipped.getText()) >= 1, 'Tom opted out and is skipped');
    // The seeded reminder needs a {{time}}: one person's own value reaches the preview.
    const own = await browser.$('input[aria-label="time for Maria Rossi"]');
    await own.waitForDisplayed({ timeout: 5000 });
    await own.setValue('14:30');
    const preview = await $t('bulk-preview');
    await browser.waitUntil(async () => (await preview.getText()).includes('tomorrow at 14:30'), {
      timeout: 5000,
      timeoutMsg: 'the per-person time shows in the preview',
    });
    await shot('bulk-send');
  });

  await step('settings show the sandbox data folder', async () => {
    await nav('settings');
    const dir = await $t('data-dir');
    await dir.waitForDisplayed({ timeout: 5000 });
    assert.ok((await dir.getText()).endsWith('/sandbox'), 'the sandbox keeps its own data folder');
    await (await $t('test-webhooks')).click();
    const result = await $t('self-test-result');
    await result.waitForDisplayed({ timeout: 10000 });
    assert.equal(await result.getText(), 'Webhooks reach Switchboard', 'a signed request through the public URL reached the listener');
    await shot('settings');
  });

  // The live flows: the simulator plays Twilio, the real listener stores what it sends.
  const CUSTOMER = '+61412777001';
  const listHas = (needle) =>
    browser.execute((n) => [...document.querySelectorAll('[data-testid="conversation"]')].some((e) => e.textContent.includes(n)), needle);

  await step('a text from the simulated phone appears live and raises the unread count', async () => {
    await nav('inbox');
    const before = Number(await text('unread-total')) || 0;
    await (await $t('toggle-phone')).click();
    const from = await $t('sim-from');
    await from.waitForDisplayed({ timeout: 5000 });
    await from.clearValue();
    await from.setValue(CUSTOMER);
    await (await $t('sim-body')).setValue('Live from the simulated phone');
    await (await $t('sim-send')).click();
    await browser.waitUntil(() => listHas('Live from the simulated phone'), { timeout: 10000, timeoutMsg: 'the text appears in the inbox without a reload' });
    await browser.waitUntil(async () => Number(await text('unread-total')) > before, { timeout: 5000, timeoutMsg: 'the unread count rises' });
    await shot('sandbox-phone');
  });

  await step('a reply from the inbox is delivered to the simulated phone', async () => {
    await browser.$('button*=Live from the simulated phone').click();
    const composer = await $t('composer');
    await composer.waitForDisplayed({ timeout: 5000 });
    await composer.setValue('Yes, we are open Saturday 9 to 1');
    await (await $t('send')).click();
    await browser.waitUntil(
      async () => browser.execute(() => [...document.querySelectorAll('[data-testid="message-status"]')].some((e) => /delivered/i.test(e.textContent))),
      { timeout: 10000, timeoutMsg: 'the reply shows Delivered (status callbacks from the simulator)' },
    );
    const row = sql(`SELECT status FROM messages WHERE body = 'Yes, we are open Saturday 9 to 1'`);
    assert.equal(row, 'delivered');
    await browser.waitUntil(
      async () => browser.execute(() => document.querySelector('[data-testid="sim-phone"]')?.textContent.includes('Yes, we are open Saturday 9 to 1')),
      { timeout: 10000, timeoutMsg: 'the reply is on the simulated phone' },
    );
  });

  await step('a new message to a number that never wrote is delivered', async () => {
    await nav('inbox');
    await browser.$('button=New message').click();
    const to = await browser.$('input[aria-label="To"]');
    await to.waitForDisplayed({ timeout: 5000 });
    // Typed as an Australian owner would: read in the country of the sandbox's number.
    await to.setValue('0412 777 123');
    await browser.$('button=Write').click();
    await browser.waitUntil(async () => (await text('thread-title')) === '+61 412 777 123', { timeout: 5000, timeoutMsg: 'the new thread opens' });
    await (await $t('composer')).setValue('Hello from the clinic: your new patient forms are ready');
    await (await $t('send')).click();
    await browser.waitUntil(
      () => sql(`SELECT status FROM messages WHERE to_addr = '+61412777123'`) === 'delivered',
      { timeout: 10000, timeoutMsg: 'the first message to a new customer is delivered' },
    );
  });

  await step('an unanswered call leaves a voicemail with its transcript', async () => {
    await (await $t('sim-voicemail')).click();
    await nav('voicemail');
    await browser.waitUntil(
      async () => browser.execute(() => [...document.querySelectorAll('[data-testid="voicemail"]')].some((e) => e.textContent.includes('412 777 001') && e.textContent.includes('booking'))),
      { timeout: 20000, timeoutMsg: 'the voicemail from the simulated phone, with its transcript' },
    );
    await browser.waitUntil(
      () => sql(`SELECT r.path FROM voicemails v JOIN recordings r ON r.sid = v.recording_sid WHERE v.from_addr = '${CUSTOMER}'`).startsWith('media/'),
      { timeout: 15000, timeoutMsg: 'the recording was downloaded to a local file' },
    );
    await browser.$('button*=+61 412 777 001').click();
    await browser.waitUntil(async () => (await browser.execute(() => document.querySelector('audio')?.duration ?? 0)) > 2, {
      timeout: 10000,
      timeoutMsg: 'the simulated voicemail loads in the player (the simulator records about 3 s)',
    });
    await (await $t('play')).click();
    await browser.waitUntil(async () => browser.execute(() => document.querySelector('audio')?.ended === true), { timeout: 10000, timeoutMsg: 'the simulated voicemail plays to the end' });
  });

  await step('with webhooks dropped, a text from the simulated phone arrives by reconciliation within the interval', async () => {
    await nav('inbox');
    const drop = await $t('sim-drop-webhooks');
    await drop.click();
    await browser.waitUntil(async () => browser.execute(() => document.querySelector('[data-testid="sim-drop-webhooks"]')?.checked === true), { timeout: 5000, timeoutMsg: 'the drop switch is on' });
    const from = await $t('sim-from');
    await from.clearValue();
    await from.setValue('+61412777002');
    await (await $t('sim-body')).setValue('Sent while the tunnel blinked');
    const sent = Date.now();
    await (await $t('sim-send')).click();
    // The sandbox reconciles every 5 s; a loaded machine gets 5 s more.
    await browser.waitUntil(() => listHas('Sent while the tunnel blinked'), { timeout: 10000, timeoutMsg: 'the text appears by reconciliation within the interval' });
    console.log(`     arrived ${Date.now() - sent} ms after it was sent, with webhooks dropped`);
    // Counted as caught up (only periodic reconciliation counts): it did not come by webhook.
    const counted = JSON.parse(sql(`SELECT value FROM settings WHERE key = 'reach.caught_up'`) || '{}');
    assert.ok(counted.messages >= 1, `counted as arrived by catch-up: ${JSON.stringify(counted)}`);
    assert.equal(await text('reach-status'), 'Up to date');
    await (await $t('sim-drop-webhooks')).click();
    await browser.waitUntil(async () => browser.execute(() => document.querySelector('[data-testid="sim-drop-webhooks"]')?.checked === false), { timeout: 5000, timeoutMsg: 'the drop switch is off again' });
    // The steps after this one call from the first customer's phone again.
    const phoneNumber = await $t('sim-from');
    await phoneNumber.clearValue();
    await phoneNumber.setValue(CUSTOMER);
    await nav('settings');
    await browser.waitUntil(async () => /arrived by catch-up rather than webhook/.test((await text('caught-up')) ?? ''), { timeout: 5000, timeoutMsg: 'Settings → Reach counts it' });
  });

  await step('forwarding settings change the TwiML the simulator follows', async () => {
    await nav('numbers');
    await browser.$('button*=+61 255 501 234').click();
    const fwd = await $t('forwarding-number');
    await fwd.waitForDisplayed({ timeout: 5000 });
    await fwd.clearValue();
    await fwd.setValue('+61 412 999 777');
    await (await $t('save-number')).click();
    await browser.$('p.ok').waitForDisplayed({ timeout: 5000 });
    await browser.$('button*=owner answers').click();
    await browser.waitUntil(
      () => sql(`SELECT forwarded_to FROM calls WHERE from_addr = '${CUSTOMER}' AND forwarded_to IS NOT NULL ORDER BY id DESC LIMIT 1`) === '+61412999777',
      { timeout: 15000, timeoutMsg: 'the simulated call was dialled to the new forwarding number' },
    );
  });

  await step('a compliance registration is submitted and later shows approved', async () => {
    const doc = join(DATA, 'abn-extract.pdf');
    writeFileSync(doc, '%PDF-1.4 ABN 51 824 753 556');
    sql(`INSERT INTO compliance (country, number_type, end_user_type, business_name, business_email, registration_id, first_name, last_name, address, document_path)
         VALUES ('AU', 'local', 'business', 'Harbour E2E Pty Ltd', 'owner@harbour.example', '51824753556', 'Ana', 'Lima',
                 '{"customer_name":"Harbour E2E Pty Ltd","street":"1 George St","city":"Sydney","region":"NSW","postal_code":"2000","iso_country":"AU"}', '${doc}')`);
    await nav('calls');
    await nav('compliance');
    const card = await browser.$('article*=Harbour E2E Pty Ltd');
    await card.waitForDisplayed({ timeout: 5000 });
    await (await card.$('[data-testid="submit-bundle"]')).click();
    await browser.waitUntil(
      async () => (await (await browser.$('article*=Harbour E2E Pty Ltd')).$('[data-testid="bundle-status"]').getAttribute('data-status')) === 'twilio-approved',
      { timeout: 15000, timeoutMsg: 'the bundle shows approved after the simulated review and its signed callback' },
    );
    await shot('compliance-approved');
  });

  // Each area's own steps live in e2e/steps/<NN-area>.mjs, run in name order after the core
  // steps above: a module's default export takes this context and calls `step` for each.
  const ctx = { browser, step, assert, $t, text, shot, nav, sql, wav, here, APP_BIN, DB, SANDBOX_DIR };
  const stepsDir = join(here, 'steps');
  const areas = existsSync(stepsDir) ? readdirSync(stepsDir).filter((f) => f.endsWith('.mjs')).sort() : [];
  for (const area of areas) {
    const { default: run } = await import(pathToFileURL(join(stepsDir, area)).href);
    await run(ctx);
  }

  await step('usable at 900×600', async () => {
    await browser.setWindowSize(900, 600);
    await nav('inbox');
    await browser.$('button*=Maria Rossi').click();
    await (await $t('composer')).waitForDisplayed();
    const overflow = await browser.execute(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(overflow, false, 'no horizontal scrolling at the minimum size');
    await shot('inbox-900x600');
  });

  // Last, because the WebDriver session's window goes away: the light tray mode.
  await step('closed to the tray, a text still arrives and is in the inbox when reopened', async () => {
    const appPid = execFileSync('pgrep', ['-n', '-f', `${APP_BIN} sandbox`]).toString().trim();
    const webProcesses = () => {
      try {
        return execFileSync('pgrep', ['-P', appPid, '-f', 'WebKitWebProcess']).toString().trim().split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    };
    assert.ok(webProcesses() > 0, 'a web process while the window is open');
    // The window manager's close button (Xvfb has no window manager: send what it would).
    const ids = execFileSync('xdotool', ['search', '--name', '^Switchboard']).toString().trim().split('\n');
    execFileSync('python3', [join(here, 'x11_close.py'), ...ids]);
    await browser.waitUntil(async () => webProcesses() === 0, { timeout: 15000, interval: 250, timeoutMsg: 'the web process is still there after closing the window' });
    execFileSync('kill', ['-0', appPid]); // the app itself still runs, in the tray

    // The simulated customer texts while no window exists.
    const sim = JSON.parse(readFileSync(join(SANDBOX_DIR, 'sandbox-sim.json'), 'utf8'));
    const body = `Are you open on Saturday? ${Date.now()}`;
    const res = await fetch(`${sim.base_url}/2010-04-01/Accounts/${sim.account_sid}/Sandbox/CustomerMessages.json`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${sim.account_sid}:${sim.auth_token}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ From: '+61412555177', To: sim.business_number, Body: body }),
    });
    assert.equal(res.status, 201, `the simulator took the text: ${await res.text()}`);
    assert.equal(sql(`SELECT COUNT(*) FROM messages WHERE body = '${body}'`), '1', 'stored while the window was closed');

    // Back from the tray: a second launch is what the tray menu's "Open" does to a running app.
    execFileSync(APP_BIN, ['sandbox'], { timeout: 30000 });
    await browser.waitUntil(async () => (await browser.getWindowHandles()).length > 0, { timeout: 20000, interval: 250, timeoutMsg: 'no window came back' });
    const handles = await browser.getWindowHandles();
    await browser.switchToWindow(handles[handles.length - 1]);
    await browser.waitUntil(async () => (await browser.execute(() => document.body.innerText)).includes(body.slice(0, 24)), {
      timeout: 20000,
      interval: 250,
      timeoutMsg: 'the text sent while closed is not in the reopened inbox',
    });
    await shot('inbox-after-tray');
  });
} finally {
  await browser.deleteSession().catch(() => {});
}

const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed}/${results.length} e2e steps passed`);
process.exit(failed ? 1 : 0);
