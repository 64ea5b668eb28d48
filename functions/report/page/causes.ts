/** What the catch-all causes of a takeback mean (DESIGN.md "Cause of a reversal"), shown wherever they appear. */
import { el } from './dom.ts';
import { titleCase } from './format.ts';

export const CAUSE_HELP: Record<string, string> = {
  unspecified:
    'a PLB offset (WO, WU, OB, 72) whose reference names no claim reversed in the lake, so no adjustment reason explains it',
  pending:
    'a reversal whose corrected claim has not arrived yet; its cause is known once the correction is paid',
  other: 'a reversal whose correction carries no adjustment reason (CARC) recoup maps to a cause',
};

/** A cause's name, with its meaning as a tooltip when it is a catch-all. */
export function causeText(cause: string | null): HTMLElement | string {
  const help = cause === null ? undefined : CAUSE_HELP[cause];
  return help
    ? el('abbr', { class: 'cause-help', title: `${titleCase(cause)}: ${help}`, text: titleCase(cause) })
    : titleCase(cause);
}
