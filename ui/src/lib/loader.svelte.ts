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
