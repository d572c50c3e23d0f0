// US carrier registration on the UI side: the use cases each brand path allows, the checks
// Twilio's reviewers would fail a campaign on (the same as the core's
// `domain::us_registration::validate_campaign`, so the form says it before the round trip),
// and each registration's progress as the owner reads it: brand, vetting, campaign.
import type { BrandKind, CampaignForm, UsRegistration } from './types';

export const BRAND_KINDS: { kind: BrandKind; label: string; detail: string }[] = [
  {
    kind: 'sole_proprietor',
    label: 'Sole Proprietor',
    detail: 'No tax ID. One number, low volume; a one-time code is texted to your own US mobile.',
  },
  {
    kind: 'low_volume_standard',
    label: 'Low-Volume Standard',
    detail: 'A business with an EIN sending fewer than 6,000 texts a day. Lower fees.',
  },
  { kind: 'standard', label: 'Standard', detail: 'A business with an EIN; higher volumes, secondary vetting.' },
];

/** Twilio's campaign use cases per brand path (`BrandKind::usecases`), the first the default. */
export const USECASES: Record<BrandKind, string[]> = {
  sole_proprietor: ['SOLE_PROPRIETOR'],
  low_volume_standard: ['LOW_VOLUME', 'CUSTOMER_CARE', 'ACCOUNT_NOTIFICATION', 'MIXED'],
  standard: ['CUSTOMER_CARE', 'ACCOUNT_NOTIFICATION', 'DELIVERY_NOTIFICATION', 'MARKETING', 'MIXED', 'LOW_VOLUME'],
};

export const USECASE_LABEL: Record<string, string> = {
  SOLE_PROPRIETOR: 'Sole proprietor (mixed texts to your own customers)',
  LOW_VOLUME: 'Low volume, mixed',
  CUSTOMER_CARE: 'Customer care (replies, support)',
  ACCOUNT_NOTIFICATION: 'Account notifications (reminders, updates)',
  DELIVERY_NOTIFICATION: 'Delivery notifications',
  MARKETING: 'Marketing (offers, promotions)',
  MIXED: 'Mixed',
};

/** What is wrong with the campaign form, by field (`description`, `message_flow`,
 *  `samples`, `sample.N`, `usecase`); empty when Twilio would take it. */
export function campaignIssues(kind: BrandKind, c: CampaignForm): Record<string, string> {
  const out: Record<string, string> = {};
  if (!USECASES[kind].includes(c.usecase)) out.usecase = `choose one of ${USECASES[kind].join(', ')}`;
  if ([...c.description.trim()].length < 40)
    out.description = 'describe what you text customers in at least 40 characters';
  if ([...c.message_flow.trim()].length < 40)
    out.message_flow = 'say where customers agree to texts and what they are told, in at least 40 characters';
  if (c.message_samples.length < 2 || c.message_samples.length > 5) out.samples = 'give two to five sample messages';
  c.message_samples.forEach((s, i) => {
    const n = [...s.trim()].length;
    if (n < 20 || n > 1024) out[`sample.${i}`] = `sample ${i + 1} must be 20 to 1,024 characters (it has ${n})`;
  });
  return out;
}

export type StageState = 'done' | 'current' | 'waiting' | 'failed';

export interface Stage {
  key: string;
  label: string;
  state: StageState;
  /** Twilio's status word, when there is one. */
  status: string | null;
}

const ORDER = [
  'customer_profile',
  'trust_product',
  'profile_review',
  'brand',
  'brand_otp',
  'brand_review',
  'messaging_service',
  'campaign',
  'campaign_review',
  'done',
];

/** The registration's stages as the owner follows them, each done, current or waiting. */
export function stages(r: UsRegistration): Stage[] {
  const at = r.step === 'failed' ? failedAt(r) : ORDER.indexOf(r.step);
  const stage = (key: string, label: string, from: number, to: number, status: string | null): Stage => ({
    key,
    label,
    status,
    state: at > to ? 'done' : at >= from ? (r.step === 'failed' ? 'failed' : 'current') : 'waiting',
  });
  const vetting = r.identity_status ? ` · vetting ${r.identity_status}` : '';
  return [
    stage('profile', 'Business profile', 0, 2, r.trust_product_status ?? r.customer_profile_status),
    stage('brand', 'Brand', 3, 5, r.brand_status ? `${r.brand_status}${vetting}` : null),
    stage('service', 'Messaging Service and number', 6, 6, r.messaging_service_sid ? 'ready' : null),
    stage('campaign', 'Campaign', 7, 8, r.campaign_status),
  ];
}

/** Where a failed registration stopped, read from which Twilio statuses it reached. */
function failedAt(r: UsRegistration): number {
  if (r.campaign_status) return ORDER.indexOf('campaign_review');
  if (r.brand_status) return ORDER.indexOf('brand_review');
  return ORDER.indexOf('profile_review');
}

/** The owner's mobile a Sole Proprietor's code goes to. */
export function otpMobile(r: UsRegistration): string {
  return r.details.mobile ?? r.details.phone;
}
