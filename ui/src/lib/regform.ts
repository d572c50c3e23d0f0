// The regulation-driven compliance form's rules on the UI side: the same local checks as
// the core's `compliance::answers::check_value` (so a field says what is wrong as the owner
// types, before any round trip), the answers a stored record carries turned back into the
// form's input, and the findings (local, Twilio's evaluation or review) grouped by the
// field path the form renders them next to. The core checks again on save and submit.
import type {
  AcceptedDocument,
  Compliance,
  ComplianceAddressInput,
  ComplianceAnswers,
  ComplianceDocumentInput,
  ComplianceFormInput,
  FieldSpec,
  RegulationForm,
} from './types';

/** The document type that points at an Address resource instead of carrying a file. */
export const ADDRESS_DOCUMENT = 'address';

/** The address parts the owner types, with their labels. */
export const ADDRESS_PARTS = [
  ['customer_name', 'Name at this address'],
  ['street', 'Street'],
  ['city', 'City'],
  ['region', 'State or region'],
  ['postal_code', 'Postcode'],
] as const;

/** `T` with every field present (Rust always sends them; `#[serde(default)]` only makes
 *  them optional in the generated types, for what the webview sends). */
type Full<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

/** One document section as the form edits it. */
export type FormDocument = Full<ComplianceDocumentInput>;

/** What the form edits: the input the commands take, with every section present. */
export type FormState = Full<Omit<ComplianceFormInput, 'address' | 'documents'>> & {
  documents: FormDocument[];
  address: Full<ComplianceAddressInput>;
};

export function looksLikeEmail(v: string): boolean {
  const at = v.indexOf('@');
  if (at <= 0 || v.includes(' ')) return false;
  const domain = v.slice(at + 1);
  return domain.includes('.') && !domain.startsWith('.');
}

/** Why `value` does not meet `spec`, or null (`compliance::answers::check_value`). */
export function checkValue(spec: FieldSpec, value: string): string | null {
  const v = value.trim();
  const name = spec.friendly_name;
  const c = spec.constraints;
  if (!v) return c.required ? `${name} is required` : null;
  const len = [...v].length;
  if (c.min_length !== null && len < c.min_length) return `${name} must be at least ${c.min_length} characters`;
  if (c.max_length !== null && len > c.max_length) return `${name} must be at most ${c.max_length} characters`;
  const allowed = c.allowed_values ?? [];
  if (allowed.length && !allowed.includes(v)) return `${name} must be one of: ${allowed.join(', ')}`;
  if (c.format === 'email' && !looksLikeEmail(v)) return `${name} is not an email address`;
  if (c.format === 'digits' && !/^[0-9 ]+$/.test(v)) return `${name} must be digits only`;
  if (c.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(v)) return `${name} must be a date such as 2024-01-31`;
  return null;
}

/** Fields the owner never types (Switchboard fills in the Address SIDs). */
export function typedFields(t: AcceptedDocument): FieldSpec[] {
  return t.fields.filter((f) => f.machine_name !== 'address_sids');
}

export function wantsAddress(form: RegulationForm): boolean {
  return form.documents.some((s) => s.accepted.some((t) => t.kind === ADDRESS_DOCUMENT));
}

/** The form's input from a record's stored answers, or a blank one for `form`. */
export function inputFor(form: RegulationForm, answers: ComplianceAnswers | null): FormState {
  const documents = form.documents.map((s): FormDocument => {
    const a = (answers?.documents ?? []).find((d) => d.requirement_name === s.requirement_name);
    const kind = a && s.accepted.some((t) => t.kind === a.kind) ? a.kind : s.accepted[0].kind;
    return { requirement_name: s.requirement_name, kind, fields: { ...(a?.fields ?? {}) }, file: null };
  });
  const a = answers?.address;
  return {
    email: answers?.email ?? '',
    end_user: { ...(answers?.end_user ?? {}) },
    documents,
    address: {
      customer_name: a?.customer_name ?? '',
      street: a?.street ?? '',
      city: a?.city ?? '',
      region: a?.region ?? '',
      postal_code: a?.postal_code ?? '',
      iso_country: a?.iso_country || form.iso_country,
    },
  };
}

/** The input as the commands take it: only the chosen type's typed fields, and no address
 *  unless a section was met with one. */
export function toInput(
  form: RegulationForm,
  s: FormState,
): Omit<FormState, 'address'> & { address: FormState['address'] | null } {
  const documents = s.documents.map((d): FormDocument => {
    const t = form.documents
      .find((x) => x.requirement_name === d.requirement_name)
      ?.accepted.find((x) => x.kind === d.kind);
    const fields: Record<string, string> = {};
    for (const f of t ? typedFields(t) : []) {
      const v = d.fields[f.machine_name];
      if (v !== undefined && v !== '') fields[f.machine_name] = v;
    }
    return { ...d, fields, file: t?.needs_file ? d.file : null };
  });
  const usesAddress = documents.some((d) => d.kind === ADDRESS_DOCUMENT);
  return { email: s.email, end_user: { ...s.end_user }, documents, address: usesAddress ? { ...s.address } : null };
}

/**
 * Every local finding, by field path (`end_user.x`, `documents.req.x`, `documents.req.file`,
 * `address.street`, `email`). `hasFile(req)` says whether a file is chosen or stored.
 */
export function validate(
  form: RegulationForm,
  s: FormState,
  hasFile: (requirement: string) => boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!looksLikeEmail(s.email.trim())) out.email = 'the email Twilio writes to about the review is required';
  for (const f of form.end_user) {
    const why = checkValue(f, s.end_user[f.machine_name] ?? '');
    if (why) out[`end_user.${f.machine_name}`] = why;
  }
  for (const section of form.documents) {
    const d = s.documents.find((x) => x.requirement_name === section.requirement_name);
    const t = section.accepted.find((x) => x.kind === d?.kind);
    const path = `documents.${section.requirement_name}`;
    if (!d || !t) {
      out[path] = `${section.name} is required`;
      continue;
    }
    if (t.kind === ADDRESS_DOCUMENT) {
      for (const [k, label] of ADDRESS_PARTS) {
        if (k !== 'customer_name' && !s.address[k].trim()) out[`address.${k}`] = `${label} is required`;
      }
      continue;
    }
    for (const f of typedFields(t)) {
      const why = checkValue(f, d.fields[f.machine_name] ?? '');
      if (why) out[`${path}.${f.machine_name}`] = why;
    }
    if (t.needs_file && !hasFile(section.requirement_name)) out[`${path}.file`] = `choose the ${t.name} file`;
  }
  return out;
}

/** A finding Twilio (or the local check at save) recorded on a record. */
export interface Finding {
  reason: string;
  code: number | null;
}

/** Who found a record's findings, in words for the owner. */
export function findingsSource(c: Compliance): string {
  switch (c.evaluation?.source) {
    case 'review':
      return "Twilio's reviewers";
    case 'evaluation':
      return "Twilio's evaluation";
    case 'address':
      return "Twilio's address check";
    case 'local':
      return 'Switchboard';
    default:
      return 'Twilio';
  }
}

/** A record's failed results by field path; '' holds what concerns the whole bundle. */
export function findingsByField(c: Compliance | null): Record<string, Finding[]> {
  const out: Record<string, Finding[]> = {};
  for (const r of c?.evaluation?.results ?? []) {
    if (r.passed) continue;
    (out[r.field] ??= []).push({ reason: r.reason, code: r.error_code });
  }
  return out;
}

/** The findings shown at `path`: its own, and for a section those on its type and on the
 *  section as a whole. */
export function findingsAt(all: Record<string, Finding[]>, ...paths: string[]): Finding[] {
  return paths.flatMap((p) => all[p] ?? []);
}

/** The label of a finding's field path, for a list outside the form. */
export function fieldLabel(form: RegulationForm | null, path: string): string {
  if (!path) return 'The registration';
  if (path === 'email') return 'Email for the review';
  const [head, second, third] = path.split('.');
  if (head === 'address') return second ? (ADDRESS_PARTS.find(([k]) => k === second)?.[1] ?? second) : 'Address';
  if (!form) return path;
  if (head === 'end_user') return form.end_user.find((f) => f.machine_name === second)?.friendly_name ?? second;
  if (head === 'documents') {
    const s = form.documents.find((x) => x.requirement_name === second);
    if (!s) return path;
    if (!third || third === 'type') return s.name;
    if (third === 'file') return `${s.name}: file`;
    const f = s.accepted.flatMap((t) => t.fields).find((x) => x.machine_name === third);
    return `${s.name}: ${f?.friendly_name ?? third}`;
  }
  return path;
}

/** The name a record goes by in the list. */
export function recordName(c: Compliance): string {
  if (c.business_name) return c.business_name;
  const eu = c.answers?.end_user ?? {};
  const person = `${eu.first_name ?? ''} ${eu.last_name ?? ''}`.trim();
  return person || eu.business_name || 'Unnamed registration';
}

/** Whether the owner may still change the answers (the core's `EDITABLE`). */
export function editable(c: Compliance): boolean {
  return !!c.form && (c.status === 'draft' || c.status === 'noncompliant');
}

/** Whether a corrected copy is what the owner needs (rejected, or evaluated non-compliant). */
export function copyable(c: Compliance): boolean {
  return !!c.form && (c.status === 'twilio-rejected' || c.status === 'noncompliant');
}
