// Customer-controlled text (bodies, names, notes, transcripts, file names, search snippets)
// must reach the screen as text on every screen, never as markup.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { FakeBackend, demoData, simMessage } from '../lib/fake';
import type { ScreenId } from '../lib/nav';
import { openFirstConversation } from './support';

const IMG = '<img src=x onerror="window.__xss=1">';
const SCRIPT = '<script>window.__xss=2</script>';

function hostile(): FakeBackend {
  const d = demoData();
  for (const m of d.messages) m.body = `${IMG} ${SCRIPT}`;
  for (const c of d.conversations) {
    c.last_preview = IMG;
    c.contact_name = SCRIPT;
  }
  for (const c of d.contacts) {
    c.name = IMG;
    c.notes = SCRIPT;
    c.opt_out_source = IMG;
  }
  for (const v of d.voicemails) {
    v.transcription = IMG;
    v.from = SCRIPT;
  }
  d.messages[3].num_media = 1;
  d.messages[3].media = [
    {
      id: 9,
      idx: 0,
      content_type: 'application/pdf',
      path: `media/${IMG}.pdf`,
      sha256: null,
      bytes: 10,
      download_error: null,
      download_failed: false,
    },
  ];
  d.templates[0].name = IMG;
  d.templates[0].body = SCRIPT;
  d.simInbox = [simMessage('inbound', '+61412345678', '+61255501234', IMG)];
  return new FakeBackend(d);
}

function assertInert(container: HTMLElement) {
  expect(container.querySelector('img'), 'an <img> was created from customer text').toBeNull();
  expect(container.querySelector('script'), 'a <script> was created from customer text').toBeNull();
  expect((window as any).__xss).toBeUndefined();
}

// What each screen shows once its (hostile) data is there: the test waits for it, not for
// a fixed time, so a slow run cannot check an empty screen and pass.
const loaded: Partial<Record<ScreenId, () => Promise<unknown>>> = {
  inbox: () => screen.findAllByTestId('conversation'),
  calls: () => screen.findAllByTestId('call'),
  voicemail: () => screen.findAllByTestId('voicemail'),
  contacts: () => screen.findAllByTestId('contact'),
  templates: () => screen.findAllByTestId('template'),
  // The template picker lists the hostile template name.
  bulk: () => screen.findAllByText(IMG),
};

describe('customer text is never HTML', () => {
  const screens: ScreenId[] = ['inbox', 'calls', 'voicemail', 'contacts', 'templates', 'bulk'];
  it.each(screens)('on the %s screen', async (id) => {
    const { container } = render(App, { backend: hostile() });
    await fireEvent.click(await screen.findByTestId(`nav-${id}`));
    await loaded[id]?.();
    if (id === 'inbox') {
      await openFirstConversation();
      await screen.findAllByTestId('message-body');
      expect(screen.getAllByText(`${IMG} ${SCRIPT}`).length).toBeGreaterThan(0);
      expect(screen.getByText(`📎 ${IMG}.pdf`), 'a file name is text too').toBeTruthy();
    }
    if (id === 'voicemail') {
      await fireEvent.click((await screen.findAllByTestId('voicemail'))[0]);
      expect((await screen.findByTestId('transcript')).textContent).toBe(IMG);
    }
    if (id === 'contacts') expect((await screen.findAllByText(IMG)).length).toBeGreaterThan(0);
    assertInert(container);
  });

  it('in the simulated phone and in search results', async () => {
    const { container } = render(App, { backend: hostile() });
    await fireEvent.click(await screen.findByTestId('toggle-phone'));
    expect((await screen.findAllByText(IMG)).length).toBeGreaterThan(1);
    await fireEvent.input(screen.getByTestId('search'), { target: { value: 'img' } });
    expect((await screen.findAllByTestId('search-hit')).length).toBeGreaterThan(0);
    assertInert(container);
  });
});
