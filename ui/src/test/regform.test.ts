// The regulation-driven compliance form: its local checks mirror the core's, a field's
// check shows once the owner leaves it, a rejected registration lists the reviewers'
// findings by field, and "Copy and fix" opens a new draft with each reason next to its
// field, which is corrected and submitted as a new registration.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend, demoData } from '../lib/fake';
import { fakeRegulation } from '../lib/fake-compliance';
import { checkValue, fieldLabel, findingsByField, inputFor, toInput, validate } from '../lib/regform';
import type { Compliance, FieldSpec } from '../lib/types';
import ComplianceScreen from '../screens/Compliance.svelte';
import { openNewRegistration } from './support';

afterEach(cleanup);

const spec = (over: Partial<FieldSpec['constraints']>): FieldSpec => ({
  machine_name: 'n',
  friendly_name: 'Number',
  description: '',
  constraints: { required: true, min_length: null, max_length: null, allowed_values: [], format: null, ...over },
});

describe('the local checks', () => {
  it('follow what the regulation constrains', () => {
    expect(checkValue(spec({}), '  ')).toBe('Number is required');
    expect(checkValue(spec({ required: false }), '')).toBeNull();
    expect(checkValue(spec({ min_length: 8 }), '1234567')).toMatch(/at least 8/);
    expect(checkValue(spec({ max_length: 3 }), '1234')).toMatch(/at most 3/);
    expect(checkValue(spec({ format: 'digits' }), '51 824')).toBeNull();
    expect(checkValue(spec({ format: 'digits' }), '51-824')).toMatch(/digits only/);
    expect(checkValue(spec({ format: 'email' }), 'a@b')).toMatch(/not an email/);
    expect(checkValue(spec({ format: 'date' }), '31/01/2024')).toMatch(/date such as/);
    expect(checkValue(spec({ allowed_values: ['ABN', 'ACN'] }), 'TFN')).toMatch(/one of: ABN, ACN/);
  });

  it('ask for each required document, its file and the address, and send only the chosen type', () => {
    const form = fakeRegulation('AU', 'mobile', 'business')!;
    const s = inputFor(form, null);
    const issues = validate(form, s, () => false);
    expect(Object.keys(issues)).toEqual(
      expect.arrayContaining([
        'email',
        'end_user.business_name',
        'address.street',
        'documents.business_registration_info.file',
      ]),
    );
    expect(issues['address.customer_name'], 'the name at the address may be left out').toBeUndefined();
    s.documents[1].fields = { business_name: 'X', stray: 'y' };
    const input = toInput(form, s);
    expect(input.documents[1].fields).toEqual({ business_name: 'X' });
    expect(input.address?.iso_country).toBe('AU');
    const gb = fakeRegulation('GB', 'local', 'business')!;
    expect(
      gb.documents.map((d) => d.requirement_name),
      'GB asks for other things than AU',
    ).toEqual(['proof_of_address']);
  });
});

function rejected(b: FakeBackend): Compliance {
  const form = fakeRegulation('AU', 'mobile', 'business')!;
  const c: Compliance = {
    id: 5,
    country: 'AU',
    number_type: 'mobile',
    end_user_type: 'business',
    business_name: 'Harbour Dental Pty Ltd',
    business_email: 'o@h.example',
    registration_id: '51824753557',
    first_name: 'Ana',
    last_name: 'Lima',
    address: null,
    document_path: null,
    regulation_sid: form.regulation_sid,
    end_user_sid: 'IT1',
    document_sid: 'RD1',
    address_sid: 'AD1',
    address_document_sid: 'RD2',
    bundle_sid: 'BU1',
    status: 'twilio-rejected',
    rejection_reason: 'The registration number 51824753557 does not exist in the AU register.',
    evaluation: {
      status: 'twilio-rejected',
      source: 'review',
      results: [
        {
          field: 'end_user.business_registration_number',
          requirement: null,
          passed: false,
          reason: 'The registration number 51824753557 does not exist in the AU register.',
          error_code: 22215,
        },
      ],
    },
    updated_at: '2026-11-30T10:00:00Z',
    form,
    answers: {
      email: 'o@h.example',
      end_user: {
        business_name: 'Harbour Dental Pty Ltd',
        business_registration_identifier: 'ABN',
        business_registration_number: '51824753557',
        first_name: 'Ana',
        last_name: 'Lima',
      },
      documents: [
        {
          requirement_name: 'proof_of_address',
          kind: 'address',
          fields: {},
          file_path: null,
          sid: 'RD2',
          item_sid: 'BV1',
        },
        {
          requirement_name: 'business_registration_info',
          kind: 'business_registration',
          fields: { business_name: 'Harbour Dental Pty Ltd', business_registration_number: '51824753556' },
          file_path: '/home/owner/asic.pdf',
          sid: 'RD1',
          item_sid: 'BV2',
        },
      ],
      address: {
        customer_name: '',
        street: '1 George St',
        city: 'Sydney',
        region: 'NSW',
        postal_code: '2000',
        iso_country: 'AU',
        sid: 'AD1',
        validated: true,
        verified: false,
      },
      end_user_sid: 'IT1',
      end_user_item_sid: 'BV0',
      replaced_items: [],
    },
    copied_from: null,
  };
  b.d.compliance = [c];
  return c;
}

describe('a rejected registration', () => {
  it('lists the findings by field, and is copied, corrected next to the field and resubmitted', async () => {
    const b = new FakeBackend(demoData());
    const c = rejected(b);
    expect(fieldLabel(c.form, 'end_user.business_registration_number')).toBe('Business Registration Number');
    expect(Object.keys(findingsByField(c))).toEqual(['end_user.business_registration_number']);
    render(ComplianceScreen, { backend: b });
    const finding = await screen.findByTestId('bundle-finding');
    expect(finding.textContent).toContain('Business Registration Number');
    expect(finding.textContent).toContain('does not exist in the AU register');
    expect(screen.queryByTestId('submit-bundle'), 'sent unchanged it would be rejected again').toBeNull();

    await fireEvent.click(screen.getByTestId('copy-bundle'));
    const form = await screen.findByTestId('regulation-form');
    expect(form.textContent).toContain('copy of registration #5');
    const marked = screen
      .getAllByTestId('field-finding')
      .find((f) => f.dataset.field === 'end_user.business_registration_number');
    expect(marked?.textContent).toContain("Twilio's reviewers: The registration number 51824753557");
    expect((screen.getByTestId('registration-id') as HTMLInputElement).value, 'prefilled').toBe('51824753557');
    await fireEvent.input(screen.getByTestId('registration-id'), { target: { value: '51824753556' } });
    await fireEvent.click(screen.getByTestId('save-regulation-form'));
    await waitFor(() => expect(b.calls.some((x) => x.method === 'updateComplianceForm')).toBe(true));
    const copy = b.d.compliance.find((x) => x.copied_from === 5)!;
    expect(copy.answers?.end_user?.business_registration_number).toBe('51824753556');
    expect(copy.answers?.documents?.[1].file_path, 'the document stays chosen').toBe('/home/owner/asic.pdf');
    const card = await waitFor(() => {
      const el = document.querySelector(`[data-testid="bundle"][data-id="${copy.id}"]`);
      if (!el) throw new Error('no card yet');
      return el as HTMLElement;
    });
    await fireEvent.click(card.querySelector('[data-testid="submit-bundle"]')!);
    await waitFor(() =>
      expect(card.querySelector('[data-testid="bundle-status"]')?.getAttribute('data-status')).toBe('pending-review'),
    );
  });

  it("shows a field's check once the owner leaves it", async () => {
    await openNewRegistration();
    const reg = await screen.findByTestId('registration-id');
    expect(screen.queryByTestId('field-issue'), 'nothing before the owner types').toBeNull();
    await fireEvent.input(reg, { target: { value: '12-34' } });
    await fireEvent.blur(reg);
    expect((await screen.findByTestId('field-issue')).textContent).toMatch(/digits only|at least 9/);
  });
});
