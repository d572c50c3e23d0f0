// Issue 15, the inbox a business runs on: one timeline per customer (a call, a voicemail and
// a call recording in Priya's thread, seeded as e2e/seed.sql seeds her history), "Text back"
// from a missed call in the Calls screen, Done and the filters, and Retry on a failed text
// (seeded failed in the live conversation with the simulated phone, then sent again through
// the simulator).
export default async function (ctx) {
  const { step, browser, $t, text, shot, nav, sql, assert } = ctx;
  const PRIYA = '+61499000003';
  const rowsOf = (testid) => browser.execute((sel) => document.querySelectorAll(sel).length, `[data-testid="thread"] [data-testid="${testid}"]`);
  // The sandbox has a Priya Shah of its own: this is the seeded one, by her number.
  const SHOWN = '+61 499 000 003';
  const threadIsPriyas = async () =>
    (await text('thread-title')) === 'Priya Shah' &&
    (await browser.execute(() => document.querySelector('[data-testid="thread-title"]')?.getAttribute('title'))) === SHOWN;
  const openPriya = async () => {
    await browser.$(`button*=${SHOWN}`).click();
    await browser.waitUntil(threadIsPriyas, { timeout: 5000, timeoutMsg: 'her thread opens' });
  };

  await step('a customer\u2019s thread shows their calls, voicemail and call recording in time order', async () => {
    // Priya called back later and the owner took it on their phone; the call was recorded
    // (the audio is the seeded voicemail's file, already in the data folder).
    sql(`INSERT INTO calls (sid, number_id, direction, from_addr, to_addr, status, duration, forwarded_to, answered_by, dial_status, created_at)
         VALUES ('CA000000000000000000000000000E2E15', 9001, 'inbound', '${PRIYA}', '+61255509999', 'completed', 95, '+61412000111', 'human', 'completed', strftime('%Y-%m-%dT%H:%M:%fZ','now','-10 hours'));
         INSERT INTO recordings (sid, call_sid, kind, duration, content_type, path, bytes, created_at)
         VALUES ('RE000000000000000000000000000E2E15', 'CA000000000000000000000000000E2E15', 'call', 2, 'audio/wav', 'recordings/RE1.wav', 32044, strftime('%Y-%m-%dT%H:%M:%fZ','now','-10 hours'));
         INSERT INTO call_recordings (recording_id, recording_sid, call_sid, source, created_at)
         SELECT id, sid, call_sid, 'DialVerb', created_at FROM recordings WHERE sid = 'RE000000000000000000000000000E2E15';`);
    await nav('calls');
    await nav('inbox');
    await (await $t('filter-all')).click();
    await openPriya();
    await browser.waitUntil(async () => (await rowsOf('timeline-call')) === 2 && (await rowsOf('timeline-voicemail')) === 1, {
      timeout: 10000,
      timeoutMsg: 'the missed call, its voicemail and the answered call are in the thread',
    });
    const order = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="thread"] [data-testid="message"], [data-testid="thread"] [data-testid="timeline-call"], [data-testid="thread"] [data-testid="timeline-voicemail"]')].map((e) => e.getAttribute('data-testid')),
    );
    assert.deepEqual(order, ['message', 'message', 'timeline-call', 'timeline-voicemail', 'timeline-call'], 'texts, the missed call, its voicemail, the answered call');
    const transcript = await browser.execute(() => document.querySelector('[data-testid="timeline-transcript"]')?.textContent ?? '');
    assert.match(transcript, /birthday order/, 'the voicemail shows its transcript');
    // The recording plays from the local file.
    await browser.$('[data-testid="timeline-recording"] [data-testid="listen"]').click();
    await browser.waitUntil(async () => (await browser.execute(() => document.querySelector('[data-testid="timeline-recording"] audio')?.duration ?? 0)) > 1.5, {
      timeout: 10000,
      timeoutMsg: 'the call recording loads in the player',
    });
    await shot('timeline');
  });

  await step('"Text back" on a missed call opens the caller\u2019s thread with the composer focused', async () => {
    await nav('calls');
    await browser.waitUntil(async () => (await browser.$$('[data-testid="call"]')).length >= 2, { timeout: 5000 });
    // Her missed call: the row whose name has her number on hover, with Text back.
    const clicked = await browser.execute((shown) => {
      const row = [...document.querySelectorAll('[data-testid="call"]')].find(
        (r) => r.querySelector('[data-testid="who"]')?.getAttribute('title') === shown && r.querySelector('[data-testid="call-text-back"]'),
      );
      row?.querySelector('[data-testid="call-text-back"]').click();
      return !!row;
    }, SHOWN);
    assert.ok(clicked, 'her missed call offers Text back, under her name');
    await browser.waitUntil(threadIsPriyas, { timeout: 5000, timeoutMsg: 'the inbox opens her thread' });
    await browser.waitUntil(async () => (await browser.execute(() => document.activeElement?.getAttribute('data-testid'))) === 'composer', {
      timeout: 5000,
      timeoutMsg: 'the composer has the cursor',
    });
  });

  await step('Done moves a conversation out of Open into Done, and Reopen brings it back', async () => {
    await (await $t('mark-done')).click();
    await browser.waitUntil(() => sql(`SELECT state FROM conversations WHERE id = 9002`) === 'done', { timeout: 5000, timeoutMsg: 'done in the store' });
    // The list's numbers (on hover of each name).
    const numbers = () => browser.execute(() => [...document.querySelectorAll('[data-testid="conversation"] .name')].map((e) => e.getAttribute('title')));
    await (await $t('filter-open')).click();
    await browser.waitUntil(async () => !(await numbers()).includes(SHOWN) && (await numbers()).length > 0, { timeout: 5000, timeoutMsg: 'not in Open' });
    await (await $t('filter-done')).click();
    await browser.waitUntil(async () => JSON.stringify(await numbers()) === JSON.stringify([SHOWN]), { timeout: 5000, timeoutMsg: 'only her conversation in Done' });
    assert.match((await text('filter-done')) ?? '', /1/, 'the Done filter counts her');
    await shot('inbox-done-filter');
    await (await $t('reopen')).click();
    await browser.waitUntil(() => sql(`SELECT state FROM conversations WHERE id = 9002`) === 'open', { timeout: 5000, timeoutMsg: 'open again' });
    await (await $t('filter-all')).click();
  });

  await step('Retry on a failed text sends it again, linked to the failed one', async () => {
    const [conv, ours] = sql(`SELECT c.id, n.e164 FROM conversations c JOIN numbers n ON n.id = c.number_id WHERE c.customer = '+61412777001' ORDER BY c.id LIMIT 1`).split('|');
    assert.ok(conv, 'the live conversation with the simulated phone exists');
    sql(`INSERT INTO messages (sid, conversation_id, direction, from_addr, to_addr, body, status, status_rank, error_code, error_message, created_at)
         VALUES ('SM000000000000000000000000000E2E15', ${conv}, 'outbound', '${ours}', '+61412777001', 'Your table for 4 is booked for 7 pm', 'failed', 50, 30008, 'Unknown error', strftime('%Y-%m-%dT%H:%M:%fZ','now'));
         UPDATE conversations SET last_message_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'), last_preview = 'Your table for 4 is booked for 7 pm' WHERE id = ${conv};`);
    const failedId = sql(`SELECT id FROM messages WHERE sid = 'SM000000000000000000000000000E2E15'`);
    await nav('calls');
    await nav('inbox');
    await browser.$('button*=booked for 7 pm').click();
    const retry = await $t('retry-message');
    await retry.waitForDisplayed({ timeout: 5000 });
    await retry.click();
    await browser.waitUntil(() => sql(`SELECT status FROM messages WHERE retry_of = ${failedId}`) === 'delivered', {
      timeout: 15000,
      timeoutMsg: 'the retry is a new send, linked to the failed one, and delivered',
    });
    assert.equal(sql(`SELECT COUNT(*) FROM messages WHERE retry_of = ${failedId}`), '1', 'sent once');
    await browser.waitUntil(async () => !(await $t('retry-message').isExisting()), { timeout: 5000, timeoutMsg: 'no Retry left on the failed text' });
  });
}
