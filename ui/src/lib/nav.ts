// The app's sections, in sidebar order.
export const SCREENS = [
  { id: 'inbox', label: 'Inbox' },
  { id: 'calls', label: 'Calls' },
  { id: 'voicemail', label: 'Voicemail' },
  { id: 'contacts', label: 'Contacts' },
  { id: 'numbers', label: 'Numbers' },
  { id: 'compliance', label: 'Compliance' },
  { id: 'templates', label: 'Templates' },
  { id: 'bulk', label: 'Bulk send' },
  { id: 'campaigns', label: 'Campaigns' },
  { id: 'settings', label: 'Settings' },
  { id: 'us', label: 'US texting' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];
