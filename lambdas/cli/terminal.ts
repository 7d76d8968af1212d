/**
 * What the CLI prints, made safe for a terminal: bill data, budget files and AWS messages reach the output, and
 * their control characters (core/text.ts) must not drive the terminal that shows it.
 */
import { CONTROL_CHARACTERS, withoutControls } from '../core/text.ts';

/**
 * JSON text with the controls JSON.stringify leaves raw (DEL, C1, bidirectional marks) written as `\u` escapes:
 * the document parses to the same value, and prints as plain text. Outside strings JSON holds none of them.
 */
export function jsonForTerminal(json: string): string {
  return json.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export const print = (text: string): void => void process.stdout.write(withoutControls(text));
export const printError = (text: string): void => void process.stderr.write(withoutControls(text));
