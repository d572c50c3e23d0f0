// `{{variable}}` templates: a port of src-tauri/domain/template.rs, so the composer can
// show a preview and name missing variables before anything is sent.

function placeholders(t: string): { name: string; start: number; end: number }[] {
  const found: { name: string; start: number; end: number }[] = [];
  let from = 0;
  for (;;) {
    const open = t.indexOf('{{', from);
    if (open < 0) break;
    const close = t.indexOf('}}', open + 2);
    if (close < 0) break;
    const name = t.slice(open + 2, close).trim();
    if (name && /^[\p{L}\p{N}_]+$/u.test(name)) {
      found.push({ name, start: open, end: close + 2 });
      from = close + 2;
    } else {
      from = open + 2;
    }
  }
  return found;
}

export function variables(t: string): string[] {
  const out: string[] = [];
  for (const p of placeholders(t)) if (!out.includes(p.name)) out.push(p.name);
  return out;
}

export type Rendered = { ok: true; text: string } | { ok: false; missing: string[] };

export function render(t: string, vars: Record<string, string>): Rendered {
  const missing = variables(t).filter((v) => !(vars[v] ?? '').trim());
  if (missing.length) return { ok: false, missing };
  let out = '';
  let last = 0;
  for (const p of placeholders(t)) {
    out += t.slice(last, p.start) + (vars[p.name] ?? '');
    last = p.end;
  }
  return { ok: true, text: out + t.slice(last) };
}
