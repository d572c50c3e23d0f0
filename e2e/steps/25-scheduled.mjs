// Issue 15, scheduled messages: "Send later" in a conversation schedules the text through
// the simulated Twilio (never sent now), the thread shows it pending with Edit and Cancel,
// one is canceled, and the other goes out when the sandbox's Twilio clock moves past its
// time, reaching the simulated phone and showing Delivered.
export default async function (ctx) {
  const { step, browser, $t, text, shot, nav, sql, assert } = ctx;
  const CUSTOMER = '+61412777025';
  const FIRST = 'Reminder: your cake is ready Saturday at 10';
  const SECOND = 'Scheduled then canceled';

  const pad = (n) => String(n).padStart(2, '0');
  const local = (d) =>
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

  /** Opens "Send later" under the composer, picks a time `minutes` ahead and schedules `body`. */
  async function scheduleText(body, minutes) {
    const composer = await $t('composer');
    await composer.waitForDisplayed({ timeout: 5000 });
    await composer.setValue(body);
    if (!(await (await $t('send-later-panel')).isExisting())) await (await $t('send-later')).click();
    const at = local(new Date(Date.now() + minutes * 60_000));
    // A datetime-local input takes its value from script more reliably than from typing.
    await browser.execute(
      (v) => {
        const i = document.querySelector('[data-testid="send-later-at"]');
        i.value = v;
        i.dispatchEvent(new Event('input', { bubbles: true }));
      },
      at,
    );
    await (await $t('send-later-confirm')).click();
    await browser.waitUntil(
      () => sql(`SELECT COUNT(*) FROM messages WHERE body = '${body}' AND status = 'scheduled' AND sid IS NOT NULL`) === '1',
      { timeout: 10000, timeoutMsg: `"${body}" is stored as scheduled with Twilio's SID` },
    );
  }

  await step('Send later schedules a text in the thread, pending with its time, Edit and Cancel', async () => {
    await nav('inbox');
    if (!(await (await $t('sim-from')).isExisting())) await (await $t('toggle-phone')).click();
    const from = await $t('sim-from');
    await from.waitForDisplayed({ timeout: 5000 });
    await from.clearValue();
    await from.setValue(CUSTOMER);
    await (await $t('sim-body')).setValue('Can you remind me about the cake?');
    await (await $t('sim-send')).click();
    await browser.waitUntil(
      () => browser.execute(() => [...document.querySelectorAll('[data-testid="conversation"]')].some((e) => e.textContent.includes('remind me about the cake'))),
      { timeout: 10000, timeoutMsg: 'the customer text appears' },
    );
    await browser.$('button*=remind me about the cake').click();
    await (await $t('composer')).waitForDisplayed({ timeout: 5000 });
    await (await $t('send-later')).click();
    assert.ok((await text('send-later-bounds')).includes('15 minutes to 35 days'), 'the picker says what the bounds are');
    await scheduleText(FIRST, 45);
    await browser.waitUntil(
      () => browser.execute(() => [...document.querySelectorAll('[data-testid="scheduled-when"]')].some((e) => e.textContent.includes('Scheduled for'))),
      { timeout: 10000, timeoutMsg: 'the thread shows it pending, with its time' },
    );
    assert.equal(sql(`SELECT COUNT(*) FROM messages WHERE body = '${FIRST}' AND send_at IS NOT NULL`), '1');
    const onPhone = await browser.execute((b) => document.querySelector('[data-testid="sim-phone"]')?.textContent.includes(b) ?? false, FIRST);
    assert.equal(onPhone, false, 'nothing reached the phone yet');
    await shot('scheduled-message');
  });

  await step('a scheduled message is canceled before its time', async () => {
    await scheduleText(SECOND, 50);
    const id = sql(`SELECT id FROM messages WHERE body = '${SECOND}'`);
    await browser.waitUntil(
      () => browser.execute(() => document.querySelectorAll('[data-testid="scheduled-actions"]').length >= 2),
      { timeout: 10000, timeoutMsg: 'both scheduled messages show Edit and Cancel' },
    );
    // The second scheduled bubble is the newest one.
    await browser.execute(() => {
      const all = [...document.querySelectorAll('[data-testid="scheduled-actions"]')];
      const cancel = [...all[all.length - 1].querySelectorAll('button')].find((b) => b.textContent.trim() === 'Cancel');
      cancel.click();
    });
    await (await browser.$('button=Cancel it')).click();
    await browser.waitUntil(() => sql(`SELECT status FROM messages WHERE id = ${id}`) === 'canceled', {
      timeout: 10000,
      timeoutMsg: 'the message is canceled',
    });
  });

  await step("when the simulated Twilio's clock passes its time, it goes out and shows Delivered", async () => {
    await (await $t('sim-advance-clock')).click();
    await browser.waitUntil(() => sql(`SELECT status FROM messages WHERE body = '${FIRST}'`) === 'delivered', {
      timeout: 15000,
      timeoutMsg: 'the status callbacks (or catch-up) move it to delivered',
    });
    // The phone reads its inbox again on the next press (nothing more is due by then).
    await (await $t('sim-advance-clock')).click();
    await browser.waitUntil(
      async () => browser.execute((b) => document.querySelector('[data-testid="sim-phone"]')?.textContent.includes(b) ?? false, FIRST),
      { timeout: 10000, timeoutMsg: 'the text is on the simulated phone' },
    );
    await shot('scheduled-message-sent');
    assert.equal(sql(`SELECT status FROM messages WHERE body = '${SECOND}'`), 'canceled', 'the canceled one never went out');
    const phone = await browser.execute(() => document.querySelector('[data-testid="sim-phone"]')?.textContent ?? '');
    assert.ok(!phone.includes(SECOND), 'the canceled text is not on the phone');
  });
}
