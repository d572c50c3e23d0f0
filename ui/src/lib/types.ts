// Shapes of what the Rust core sends over IPC. They are generated from the Rust types
// (bindings.ts, by src-tauri/desktop/contract.rs) and only re-exported here: never copy
// one by hand. Below are the UI's own shapes, which never cross IPC as one object.
import type { commands, MessageChannel } from './bindings';

export type * from './bindings';

/** How a message travels and replies go (Rust `domain::kinds::Channel`). */
export type Channel = MessageChannel;

/** Template values for single contacts, by contact id (the commands' `per_contact` argument). */
export type PerContactVars = NonNullable<Parameters<typeof commands.previewBulk>[3]>;

/** What the bulk-send screen asks for; `Backend.startBulk` spreads it into the command's arguments. */
export interface BulkRequest {
  templateId: number;
  numberId: number;
  contactIds: number[];
  /** Values shared by everyone. */
  vars: Record<string, string>;
  perContact: PerContactVars;
  /** Everyone with one of these tags, each person once (with `contactIds`). */
  tags?: string[] | null;
}

/** What the owner's mobile does with a simulated forwarded call (sandbox): the words
 * `sim_customer_call` takes (Rust reads them as a string and refuses any other). */
export type SimCallOutcome = 'answer' | 'voicemail' | 'decline' | 'carrier-voicemail';
