// Shapes of what the Rust core sends over IPC. They are generated from the Rust types
// (bindings.ts, by src-tauri/desktop/contract.rs) and only re-exported here: never copy
// one by hand. Below are the UI's own shapes, which never cross IPC as one object.
import type { BulkChoice, MessageChannel } from './bindings';

export type * from './bindings';

/** How a message travels and replies go (Rust `domain::kinds::Channel`). */
export type Channel = MessageChannel;

/** Template values for single contacts, by contact id (`BulkChoice.per_contact`). */
export type PerContactVars = NonNullable<BulkChoice['per_contact']>;

/** What the bulk estimate and "Send later" are given: the number to send from and the
 * message and audience chosen (the commands take them as two arguments). */
export interface BulkRequest {
  numberId: number;
  choice: BulkChoice;
}

/** What the owner's mobile does with a simulated forwarded call (sandbox): the words
 * `sim_customer_call` takes (Rust reads them as a string and refuses any other). */
export type SimCallOutcome = 'answer' | 'voicemail' | 'decline' | 'carrier-voicemail';
