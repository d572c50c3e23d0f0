// Every screen in its four states (loading, error, empty, full) against the fake backend.
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Component } from 'svelte';
import { FakeBackend, demoData, emptyData, simMessage, type FakeData } from '../lib/fake';
import { draftRecord } from '../lib/fake-compliance';
import type { Backend } from '../lib/backend';
import Inbox from '../screens/Inbox.svelte';
import Calls from '../screens/Calls.svelte';
import Voicemail from '../screens/Voicemail.svelte';
import Contacts from '../screens/Contacts.svelte';
import Numbers from '../screens/Numbers.svelte';
import Compliance from '../screens/Compliance.svelte';
import Templates from '../screens/Templates.svelte';
import BulkSend from '../screens/BulkSend.svelte';
import Settings from '../screens/Settings.svelte';
import SandboxPhone from '../screens/SandboxPhone.svelte';

type Case = {
  name: string;
  component: Component<any>;
  props?: Record<string, unknown>;
  /** The backend methods whose failure or slowness the screen must show. */
  methods: (keyof Backend)[];
  empty: () => Promise<unknown>;
  full: () => Promise<unknown>;
};

const withBundle = (): FakeData => {
  const d = demoData();
  d.compliance = [
    draftRecord({
      id: 1,
      country: 'AU',
      number_type: 'mobile',
      end_user_type: 'business',
      business_name: 'Ana\u2019s Bakery',
      business_email: 'ana@example.com',
      registration_id: '51824753556',
      first_name: 'Ana',
      last_name: 'Lima',
      bundle_sid: 'BU1',
      status: 'twilio-rejected',
      rejection_reason: 'The document is unreadable',
    }),
  ];
  return d;
};

const cases: Case[] = [
  {
    name: 'Inbox',
    component: Inbox,
    methods: ['listConversations'],
    empty: () => screen.findByTestId('inbox-empty'),
    full: () => screen.findAllByTestId('conversation'),
  },
  {
    name: 'Calls',
    component: Calls,
    methods: ['listCalls'],
    empty: () => screen.findByTestId('calls-empty'),
    full: () => screen.findAllByTestId('call'),
  },
  {
    name: 'Voicemail',
    component: Voicemail,
    methods: ['listVoicemails'],
    empty: () => screen.findByTestId('voicemail-empty'),
    full: () => screen.findAllByTestId('voicemail'),
  },
  {
    name: 'Contacts',
    component: Contacts,
    props: { onopenthread: () => {} },
    methods: ['listContacts'],
    empty: () => screen.findByTestId('contacts-empty'),
    full: () => screen.findAllByTestId('contact'),
  },
  {
    name: 'Numbers',
    component: Numbers,
    methods: ['listNumbers'],
    empty: () => screen.findByTestId('numbers-empty'),
    full: () => screen.findAllByTestId('number'),
  },
  {
    name: 'Compliance',
    component: Compliance,
    methods: ['listCompliance'],
    empty: () => screen.findByTestId('compliance-empty'),
    full: async () => {
      await screen.findByText(/The document is unreadable/);
      return screen.findAllByTestId('bundle');
    },
  },
  {
    name: 'Templates',
    component: Templates,
    methods: ['listTemplates'],
    empty: () => screen.findByTestId('templates-empty'),
    full: () => screen.findAllByTestId('template'),
  },
  {
    name: 'Bulk send',
    component: BulkSend,
    methods: ['listTemplates'],
    empty: () => screen.findByTestId('bulk-empty'),
    full: () => screen.findByTestId('bulk-preview'),
  },
  {
    name: 'Settings',
    component: Settings,
    props: { onrerunsetup: () => {} },
    methods: ['getSettings'],
    empty: () => screen.findByTestId('data-dir'),
    full: () => screen.findByText(/Notify me/),
  },
  {
    name: 'Sandbox phone',
    component: SandboxPhone,
    props: { onclose: () => {} },
    methods: ['simPhoneInbox'],
    empty: () => screen.findByText(/No messages on this phone yet/),
    full: () => screen.findByText(/Yes we do/),
  },
];

function fullFake(): FakeBackend {
  const b = new FakeBackend(withBundle());
  // The simulated phone shows what the business sent it.
  b.d.simInbox = [simMessage('outbound-api', '+61255501234', '+61412345678', 'Yes we do, one left.')];
  return b;
}

describe.each(cases)('$name screen', (c) => {
  it('shows that it is loading', async () => {
    const b = new FakeBackend(demoData());
    for (const m of c.methods) (b as any)[m] = () => new Promise(() => {});
    render(c.component, { backend: b, ...c.props });
    expect(
      await screen.findByText(/Loading/),
      'a slow backend must show a loading line, not a blank screen',
    ).toBeTruthy();
  });

  it('shows the backend error in words', async () => {
    const b = new FakeBackend(demoData());
    for (const m of c.methods)
      (b as any)[m] = async () => {
        throw { code: 'database', message: 'disk is full' };
      };
    render(c.component, { backend: b, ...c.props });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent, 'the error message from the core must be shown').toContain('disk is full');
  });

  it('has an empty state', async () => {
    render(c.component, { backend: new FakeBackend(emptyData()), ...c.props });
    expect(await c.empty()).toBeTruthy();
  });

  it('shows the data when there is some', async () => {
    render(c.component, { backend: fullFake(), ...c.props });
    expect(await c.full()).toBeTruthy();
  });
});
