// "Send later": the bounds Twilio schedules within (15 minutes to 35 days ahead, the same
// the core checks in domain/schedule.rs) and the date-time picker's local values.

export const MIN_AHEAD_MINUTES = 15;
export const MAX_AHEAD_DAYS = 35;
/** What the picker says about its bounds. */
export const BOUNDS_TEXT = 'From 15 minutes to 35 days ahead. Twilio sends it then, even while this computer is off.';

const pad = (n: number) => String(n).padStart(2, '0');

/** A Date as an `<input type="datetime-local">` value, in the owner's time zone. */
export function toLocalInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A picker value (local time) as RFC 3339 with the owner's offset; null if not a time. */
export function fromLocalInput(value: string): string | null {
  const d = new Date(value);
  if (!value || Number.isNaN(d.getTime())) return null;
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `${toLocalInput(d)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The picker's earliest and latest values from `now`. */
export function bounds(now = new Date()): { min: string; max: string } {
  const min = new Date(now.getTime() + MIN_AHEAD_MINUTES * 60_000);
  const max = new Date(now.getTime() + MAX_AHEAD_DAYS * 86_400_000);
  return { min: toLocalInput(new Date(min.getTime() + 60_000)), max: toLocalInput(max) };
}

/** The first suggestion: the next whole hour at least an hour away. */
export function suggested(now = new Date()): string {
  const d = new Date(now.getTime() + 60 * 60_000);
  d.setMinutes(0, 0, 0);
  if (d.getTime() - now.getTime() < 60 * 60_000) d.setHours(d.getHours() + 1);
  return toLocalInput(d);
}

/** Why a picked time cannot be used, in plain words; null when it can. */
export function whyNot(value: string, now = new Date()): string | null {
  const iso = fromLocalInput(value);
  if (!iso) return 'Choose a date and time.';
  const ahead = new Date(iso).getTime() - now.getTime();
  if (ahead < MIN_AHEAD_MINUTES * 60_000) return 'That is too soon: choose a time at least 15 minutes from now.';
  if (ahead > MAX_AHEAD_DAYS * 86_400_000) return 'That is too far ahead: choose a time within 35 days.';
  return null;
}
