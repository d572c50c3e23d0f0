// jsdom lacks Blob URLs and media playback; the UI uses both, so give them minimal,
// observable stand-ins.
let n = 0;
if (!URL.createObjectURL) {
  URL.createObjectURL = () => `blob:test/${++n}`;
  URL.revokeObjectURL = () => {};
}
Object.defineProperty(HTMLMediaElement.prototype, 'play', {
  configurable: true,
  value(this: HTMLMediaElement) {
    this.dispatchEvent(new Event('play'));
    return Promise.resolve();
  },
});
Object.defineProperty(HTMLMediaElement.prototype, 'pause', {
  configurable: true,
  value(this: HTMLMediaElement) {
    this.dispatchEvent(new Event('pause'));
  },
});

// The app keeps its section in the URL hash; every test starts from the inbox.
beforeEach(() => history.replaceState(null, '', '#'));
