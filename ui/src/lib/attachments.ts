// Twilio's limits on one MMS, checked in the composer before Send so the owner hears about
// them while choosing files, not after pressing Send. The limits come from the core
// (outbound::media_links, exported into the bindings); the send checks the files again.
import type { PickedFile } from './types';
import { MMS_MAX_ATTACHMENTS, MMS_MAX_BYTES } from './bindings';
import { fileSize } from './format';

export const MAX_ATTACHMENTS = MMS_MAX_ATTACHMENTS;
export const MAX_BYTES = MMS_MAX_BYTES;

/** All the attachments of one message together, in bytes. */
export function totalBytes(files: PickedFile[]): number {
  return files.reduce((n, f) => n + f.bytes, 0);
}

/** Why these attachments cannot go in one text message, or null when they can. */
export function attachmentProblem(files: PickedFile[]): string | null {
  if (files.length > MAX_ATTACHMENTS)
    return `${files.length} attachments: a text message can carry at most ${MAX_ATTACHMENTS}. Remove ${files.length - MAX_ATTACHMENTS}.`;
  const total = totalBytes(files);
  if (total > MAX_BYTES)
    return `These attachments add up to ${fileSize(total)}: a text message can carry at most ${fileSize(MAX_BYTES)} in all. Remove some, or send them in two messages.`;
  return null;
}
