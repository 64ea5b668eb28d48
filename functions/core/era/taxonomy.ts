import type { AdjustmentLevel, Category, Cause } from '../types.ts';

/** PLB reason codes that are a recoupment taken from current payments (DESIGN.md "offset"). */
export const OFFSET_PLB_CODES = new Set(['WO', 'WU', 'OB']);

/**
 * CARC → root cause (DOMAIN.md section 7). Codes not listed have no cause of their own. The one
 * table: the reader writes it as the lake's `adjustments.cause` of ordinary rows, and the models
 * read it as `ref_carc_cause` when int_reversal_causes decides a takeback's cause (docs/models.md
 * "Cause of a takeback": SQL decides every takeback cause, across files).
 */
export const CARC_CAUSES: Readonly<Record<string, Cause>> = (() => {
  const table: [Cause, string[]][] = [
    ['duplicate', ['18', 'B13']],
    [
      'coding',
      ['4', '5', '6', '7', '8', '9', '10', '11', '97', '125', '146', '181', '182', '189', '234', '236'],
    ],
    ['eligibility', ['26', '27', '31', '32', '33', '140', '177', '200']],
    ['documentation', ['16', '226', '227', '251', '252']],
    ['coordination_of_benefits', ['22', '23', '109']],
    ['prior_authorization', ['15', '39', '197', '198', '243']],
    ['non_covered', ['96', '204', '49', '50', '55', '56', '119', '149', '167']],
    ['audit', ['150', '151', '133']],
    ['incorrect_payee', ['100', 'B7', '185', '170', '171', '206', '207', '208', 'B20']],
    ['contract_rate', ['45', '59', '94', '104', '131', '24', '253', '256']],
  ];
  const out: Record<string, Cause> = {};
  for (const [cause, codes] of table) for (const code of codes) out[code] = cause;
  return out;
})();

/** The cause a CARC points to, or null when it names none. */
export function causeOfCarc(reason: string): Cause | null {
  return CARC_CAUSES[reason] ?? null;
}

/** Category of a CAS adjustment on a claim with the given CLP02 status. */
export function casCategory(group: string, claimStatus: string): Category {
  if (claimStatus === '22') return 'reversal';
  if (group === 'CO') return 'contractual';
  if (group === 'PR') return 'patient_responsibility';
  return 'other';
}

/** Category of a PLB adjustment by its reason code (PLB03-1). */
export function plbCategory(code: string): Category {
  if (OFFSET_PLB_CODES.has(code)) return 'offset';
  switch (code) {
    case '72':
      return 'refund';
    case 'FB':
      return 'forwarding_balance';
    case 'L6':
      return 'interest';
    default:
      return 'other';
  }
}

/**
 * Every category, in a fixed order: the reader stores a category as its index here (no string
 * per row), and the Parquet encoder writes this list as the column's dictionary.
 */
export const CATEGORIES: readonly Category[] = [
  'reversal',
  'offset',
  'refund',
  'forwarding_balance',
  'interest',
  'contractual',
  'patient_responsibility',
  'other',
];

/**
 * Every cause, in a fixed order (stored by index, as `CATEGORIES`): the models' accepted values.
 * The lake holds only CARC classes (and `other`); `pending` and `unspecified` are the models'.
 */
export const CAUSES: readonly Cause[] = [
  'duplicate',
  'coding',
  'eligibility',
  'documentation',
  'coordination_of_benefits',
  'prior_authorization',
  'non_covered',
  'audit',
  'incorrect_payee',
  'contract_rate',
  'other',
  'unspecified',
  'pending',
];

/** Adjustment levels, stored by index. */
export const LEVELS: readonly AdjustmentLevel[] = ['claim', 'service', 'provider'];

/**
 * The cause index of a row whose cause the lake leaves NULL: a reversal's rows and PLB rows,
 * whose cause the models decide across files (docs/models.md "Cause of a takeback"). Past the
 * end of `CAUSES`, so the encoder writes it as null.
 */
export const NO_CAUSE = 255;

/** Index of each cause in `CAUSES`. */
export const CAUSE_INDEX: Readonly<Record<Cause, number>> = Object.fromEntries(
  CAUSES.map((c, i) => [c, i]),
) as Record<Cause, number>;

/** Index of each category in `CATEGORIES`. */
export const CATEGORY_INDEX: Readonly<Record<Category, number>> = Object.fromEntries(
  CATEGORIES.map((c, i) => [c, i]),
) as Record<Category, number>;
