import { untrack } from 'svelte';
import { errorText } from './format';

/**
 * Where a screen's data stands: loading, on screen, or failed with the reason in plain
 * words. Every screen shows the same three states; this keeps them the same everywhere.
 */
export class Loader {
  phase: 'loading' | 'ready' | 'error' = $state('loading');
  error = $state('');

  /**
   * Runs `fetch`, which stores what it loaded. Afterwards the screen is ready, or shows why
   * not. Returns whether it loaded, for screens with more to do once the data is on screen.
   */
  async run(fetch: () => Promise<void>): Promise<boolean> {
    try {
      await fetch();
      this.phase = 'ready';
      this.error = '';
      return true;
    } catch (e) {
      this.error = errorText(e);
      this.phase = 'error';
      return false;
    }
  }
}

/**
 * One thing a button does (save, delete, retry…): `busy` while it runs, so the button can
 * be disabled, and why it failed in plain words. Every such action clears the last error,
 * shows the new one and ends busy the same way; this keeps them the same everywhere.
 */
export class Action {
  busy = $state(false);
  error = $state('');

  /** Runs `work`; when it fails, `error` says why. */
  async run(work: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      await work();
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.busy = false;
    }
  }
}

/**
 * Loads now, and again whenever what `deps` reads changes (the app's tick after an event,
 * the id on screen). Only `deps` is tracked, not what `load` reads, so storing the loaded
 * data does not load it again. Call it while the component is being set up.
 */
export function loadWhen(deps: () => unknown, load: () => unknown): void {
  $effect(() => {
    deps();
    untrack(load);
  });
}
