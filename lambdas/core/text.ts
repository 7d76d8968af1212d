/**
 * Control characters of text from bills, budget files or AWS: escape sequences (ESC [ ... that move the cursor,
 * recolour, retitle a terminal window or rewrite earlier lines; a carriage return that hides a line under the next),
 * C1 controls that some terminals obey as well, and bidirectional marks and overrides that make a line read
 * otherwise than it is. Line feed and tab are not among them.
 */
export const CONTROL_CHARACTERS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text with every control character but line feed and tab removed. */
export function withoutControls(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '');
}
