// The one loading / error / empty / content block every screen uses.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { createRawSnippet, flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import LoadState from '../components/LoadState.svelte';
import { Loader } from '../lib/loader.svelte';

const text = (t: string, id: string) => createRawSnippet(() => ({ render: () => `<p data-testid="${id}">${t}</p>` }));

describe('LoadState', () => {
  it('shows loading, then the content', async () => {
    const view = new Loader();
    render(LoadState, { view, what: 'calls', children: text('the calls', 'content') });
    expect(screen.getByText('Loading calls…')).toBeTruthy();
    expect(screen.queryByTestId('content')).toBeNull();
    await view.run(async () => {});
    flushSync();
    expect(screen.getByTestId('content').textContent).toBe('the calls');
    expect(screen.queryByText(/Loading/)).toBeNull();
  });

  it('says why loading failed and tries again on request', async () => {
    const view = new Loader();
    let tries = 0;
    const retry = () =>
      view.run(async () => {
        tries += 1;
        if (tries === 1) throw { code: 'network', message: 'Twilio did not answer' };
      });
    render(LoadState, { view, what: 'calls', retry, children: text('the calls', 'content') });
    await retry();
    flushSync();
    expect(screen.getByRole('alert').textContent).toContain('Twilio did not answer');
    await fireEvent.click(screen.getByText('Try again'));
    flushSync();
    expect(tries).toBe(2);
    expect(screen.getByTestId('content')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('offers no retry without one, and shows the empty state when there is nothing', async () => {
    const view = new Loader();
    await view.run(async () => {
      throw new Error('no');
    });
    const { unmount } = render(LoadState, { view, children: text('x', 'content') });
    expect(screen.queryByText('Try again')).toBeNull();
    unmount();
    const ready = new Loader();
    await ready.run(async () => {});
    render(LoadState, {
      view: ready,
      empty: true,
      emptyState: text('Nothing yet', 'empty'),
      children: text('x', 'content'),
    });
    expect(screen.getByTestId('empty').textContent).toBe('Nothing yet');
    expect(screen.queryByTestId('content')).toBeNull();
  });
});
