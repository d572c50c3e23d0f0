// The fake backend's regulation-driven compliance (browser preview and unit tests): a few
// regulations in the shape the core's `compliance::form::RegulationForm` sends, drafts
// made and edited from the form's input with files only by dialog token, a submission
// that checks locally first, and a review that rejects an ABN failing its check digits
// field by field, as the simulator's reviewers do.
import type * as T from './types';
import { validate, inputFor, ADDRESS_DOCUMENT } from './regform';

const rule = (over: Partial<T.FieldConstraints> = {}): T.FieldConstraints => ({
  required: true,
  min_length: null,
  max_length: 100,
  allowed_values: [],
  format: null,
  ...over,
});
const field = (machine_name: string, friendly_name: string, c = rule()): T.FieldSpec => ({
  machine_name,
  friendly_name,
  description: '',
  constraints: c,
});
const ADDRESS: T.DocumentSection = {
  requirement_name: 'proof_of_address',
  name: 'Address',
  description: 'Must be within the country of the number; a PO Box is not acceptable.',
  accepted: [
    {
      kind: ADDRESS_DOCUMENT,
      name: 'Address Validation',
      fields: [field('address_sids', 'Address sid(s)')],
      needs_file: false,
    },
  ],
};
const DIGITS = rule({ format: 'digits', min_length: 9, max_length: 14 });

/** The fake's regulations, by `country/number type/end-user type`. */
export function fakeRegulation(country: string, numberType: string, endUserType: string): T.RegulationForm | null {
  const key = `${country.toUpperCase()}/${numberType}/${endUserType}`;
  const base = (friendly: string) => ({
    regulation_sid: `RN${key.replace(/\W/g, '').toLowerCase().padEnd(32, '0')}`,
    friendly_name: friendly,
    iso_country: country.toUpperCase(),
    number_type: numberType,
    end_user_type: endUserType,
  });
  if (key === 'AU/mobile/business' || key === 'AU/local/business')
    return {
      ...base(`Australia: ${numberType === 'local' ? 'Local' : 'Mobile'} - Business`),
      end_user: [
        field('business_name', 'Business Name'),
        field(
          'business_registration_identifier',
          'Business Registration Identifier',
          rule({ allowed_values: ['ABN', 'ACN'] }),
        ),
        field('business_registration_number', 'Business Registration Number', DIGITS),
        field('first_name', 'First Name'),
        field('last_name', 'Last Name'),
      ],
      documents: [
        ADDRESS,
        {
          requirement_name: 'business_registration_info',
          name: 'Business Registration',
          description: 'An ASIC or ABN Lookup extract showing the business name and number.',
          accepted: [
            {
              kind: 'business_registration',
              name: 'Business Registration Document',
              fields: [
                field('business_name', 'Business Name'),
                field('business_registration_number', 'Business Registration Number', DIGITS),
              ],
              needs_file: true,
            },
          ],
        },
      ],
    };
  if (key === 'GB/local/business')
    return {
      ...base('United Kingdom: Local - Business'),
      end_user: [
        field('business_name', 'Business Name'),
        field('business_registration_number', 'Company Registration Number', rule({ min_length: 8, max_length: 8 })),
        field('business_website', 'Business Website', rule({ required: false })),
      ],
      documents: [ADDRESS],
    };
  return null;
}

function abnValid(abn: string): boolean {
  const d = abn.replace(/ /g, '').split('').map(Number);
  if (d.length !== 11 || d.some(isNaN) || d[0] === 0) return false;
  const w = [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
  return d.reduce((sum, x, i) => sum + (i === 0 ? x - 1 : x) * w[i], 0) % 89 === 0;
}

const shown = (status: string, source: string, issues: Record<string, string>): T.EvaluationShown => ({
  status,
  source,
  results: Object.entries(issues).map(([field, reason]) => ({
    field,
    requirement: null,
    passed: false,
    reason,
    error_code: null,
  })),
});

/** The stored answers after an edit; `files` are resolved paths by section. */
export function mergeAnswers(
  old: T.ComplianceAnswers | null,
  input: T.ComplianceFormInput,
  files: Record<string, string>,
): T.ComplianceAnswers {
  return {
    email: (input.email ?? '').trim(),
    end_user: { ...input.end_user },
    documents: (input.documents ?? []).map((d) => {
      const before = (old?.documents ?? []).find((o) => o.requirement_name === d.requirement_name && o.kind === d.kind);
      return {
        requirement_name: d.requirement_name,
        kind: d.kind,
        fields: { ...d.fields },
        file_path: files[d.requirement_name] ?? before?.file_path ?? null,
        sid: null,
        item_sid: null,
      };
    }),
    address: input.address ? { ...input.address, sid: null, validated: null, verified: null } : null,
    end_user_sid: null,
    end_user_item_sid: null,
    replaced_items: [],
  };
}

/** The local findings of a record, as the core stores them after a save. */
export function localFindings(form: T.RegulationForm, a: T.ComplianceAnswers, status = 'draft'): T.EvaluationShown {
  const s = inputFor(form, a);
  const hasFile = (req: string) => !!(a.documents ?? []).find((d) => d.requirement_name === req)?.file_path;
  return shown(status, 'local', validate(form, s, hasFile));
}

/** A record in draft that Twilio has made nothing for yet (no sids, no bundle); `over` gives
 *  what this record has. */
export function draftRecord(
  over: Partial<T.Compliance> & Pick<T.Compliance, 'id' | 'country' | 'number_type' | 'end_user_type'>,
): T.Compliance {
  return {
    business_name: '',
    business_email: '',
    registration_id: '',
    first_name: '',
    last_name: '',
    address: null,
    document_path: null,
    regulation_sid: null,
    end_user_sid: null,
    document_sid: null,
    address_sid: null,
    address_document_sid: null,
    bundle_sid: null,
    status: 'draft',
    rejection_reason: null,
    evaluation: null,
    updated_at: new Date().toISOString(),
    form: null,
    answers: null,
    copied_from: null,
    ...over,
  };
}

export function newFormRecord(
  id: number,
  form: T.RegulationForm,
  answers: T.ComplianceAnswers,
  copiedFrom: number | null,
  evaluation: T.EvaluationShown | null,
): T.Compliance {
  return draftRecord({
    id,
    country: form.iso_country,
    number_type: form.number_type,
    end_user_type: form.end_user_type,
    business_name: answers.end_user?.business_name ?? '',
    business_email: answers.email ?? '',
    registration_id: answers.end_user?.business_registration_number ?? '',
    first_name: answers.end_user?.first_name ?? '',
    last_name: answers.end_user?.last_name ?? '',
    evaluation: evaluation ?? localFindings(form, answers),
    form,
    answers,
    copied_from: copiedFrom,
  });
}

/** Submits a regulation record: local checks first, then the review (an ABN failing its
 *  check digits is rejected on the field). Throws like the core when answers need work. */
export function submitFormRecord(c: T.Compliance): void {
  const form = c.form!;
  const a = c.answers!;
  const local = localFindings(form, a, 'invalid');
  if (local.results?.length) {
    c.evaluation = local;
    throw {
      code: 'invalid_input',
      message: `${local.results.length} answers need attention before Twilio sees the form`,
    };
  }
  c.bundle_sid = `BU${Date.now()}`;
  const abn = a.end_user?.business_registration_number ?? '';
  if (c.country === 'AU' && !abnValid(abn)) {
    c.status = 'twilio-rejected';
    c.rejection_reason = `The registration number ${abn} does not exist in the AU register.`;
    c.evaluation = shown('twilio-rejected', 'review', {
      'end_user.business_registration_number': c.rejection_reason,
    });
  } else {
    c.status = 'pending-review';
    c.evaluation = shown('compliant', 'evaluation', {});
  }
}
