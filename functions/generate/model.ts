import type { Cents } from '../core/types.ts';
import type { TruthCause } from './truth.ts';

/** One CAS triplet. Positive amounts reduce the payment. */
export interface Cas {
  group: string;
  reason: string;
  amount: Cents;
}

/** One 2110 service line. */
export interface ServiceLine {
  code: string;
  charge: Cents;
  paid: Cents;
  units: number;
  /** CCYYMMDD */
  date: string;
  control: string;
  cas: Cas[];
  remarks: string[];
}

/**
 * Where a claim landed: its transaction's TRN02 and its place (1-based, = the lake's claim_seq)
 * among the transaction's CLPs. Filled when the transaction is closed; the truth's link log reads it.
 */
export interface ClaimRef {
  trace: string;
  index: number;
  /** ISO date (BPR16) */
  paymentDate: string;
}

/** A ref not placed yet. */
export function unplaced(): ClaimRef {
  return { trace: '', index: 0, paymentDate: '' };
}

/** One 2100 claim. Balanced by construction: charge − Σ CAS (claim and lines) = paid. */
export interface ClaimModel {
  clp01: string;
  status: string;
  charge: Cents;
  paid: Cents;
  patientResp: Cents;
  filing: string;
  icn: string;
  frequency: string;
  renderingNpi: string | null;
  /** CCYYMMDD */
  from: string;
  to: string;
  claimCas: Cas[];
  lines: ServiceLine[];
  /** Remark codes carried in MOA. */
  remarks: string[];
  /** REF*F8, the original claim's ICN, on corrections of payers that send it (realism high). */
  originalReference: string | null;
  ref: ClaimRef;
}

/** One PLB pair (PLB03/04). Positive amounts reduce the payment. */
export interface PlbPair {
  provider: string;
  code: string;
  reference: string | null;
  amount: Cents;
  /** Where it landed (index = its place among the transaction's PLB pairs); see ClaimRef. */
  ref?: ClaimRef;
}

/** One 835 transaction (ST..SE), before it is written. */
export interface RemitModel {
  payer: Payer;
  payee: Payee;
  week: number;
  /** 0, or 1.. for the further 835s of a payment date split across several (realism high). */
  part: number;
  /** ISO dates */
  paymentDate: string;
  productionDate: string;
  trace: string;
  method: 'ACH' | 'CHK';
  claims: ClaimModel[];
  plb: PlbPair[];
  /** BPR02 = Σ CLP04 − Σ PLB. */
  amount: Cents;
}

/** A billing group receiving payments (N1*PE). */
export interface Payee {
  index: number;
  npi: string;
  tin: string;
  name: string;
  city: string;
  renderingNpis: string[];
}

export type ProfileName = 'aggressive' | 'reverse_correct' | 'clean' | 'medicare' | 'medicaid';

/** How a payer pays and takes money back. Rates are per original claim of the transaction. */
export interface PayerProfile {
  name: ProfileName;
  filing: readonly (readonly [string, number])[];
  /** Allowed amount as a share of charge, in per mille. */
  allowed: readonly [number, number];
  volume: number;
  reversal: number;
  correctionSame: number;
  correctionNext: number;
  causes: readonly (readonly [Exclude<TruthCause, 'unspecified' | 'pending'>, number])[];
  woOffset: number;
  /** Share of linked WO offsets whose reference is CLP01 rather than the ICN. */
  woByPatientControl: number;
  unlinkable: number;
  /** Chance per transaction of one large unlinkable recovery that exceeds the week's payments (FB). */
  clawback: number;
  refundPair: number;
  deferral: number;
  affiliateOffset: number;
  interest: number;
  sequestration: boolean;
  secondary: number;
  noLines: number;
  renderingOmitted: number;
  payWeekday: number;
  trimAmounts: boolean;
  /** Share of weeks whose transactions for all payees go into one file. */
  batch: number;
  /** What the payer does under `realism: 'high'` (ignored otherwise). */
  realism: RealismTraits;
}

/** The member identifier a payer appends to a claim reference in a composite PLB reference. */
export type MemberIdKind = 'mbi' | 'hic' | 'member';

/**
 * The habits of real payers that make linking hard (issue 24, DOMAIN.md §5, §6), switched on by
 * `realism: 'high'`.
 */
export interface RealismTraits {
  /** Sends REF*F8 (the original claim's ICN) on corrections. */
  sendsF8: boolean;
  /** A correction gets a new CLP07; otherwise it keeps the original's ICN (pyx12 sample style). */
  newIcnOnCorrection: boolean;
  /** CLP09 of a correction: 7 (replacement) or 1 (the payer echoes the original's). */
  correctionFrequency: '7' | '1';
  /** Chance per payer × payee × week that the payment date is split across two or three 835s. */
  split: number;
  /** Share of claim-naming PLB references followed by a member id. */
  composite: number;
  /** The member ids it uses (HIC and MBI: Medicare; a member number: the others). */
  memberIds: readonly MemberIdKind[];
  /** Between the claim token and the member id of a composite reference. */
  delimiter: string;
  /** Chance per reversal that the payer reverses the same original again weeks later. */
  doubleReversal: number;
  /** Chance a new claim carries an earlier account number (CLP01) of the same payee: a later visit. */
  reuseSamePayee: number;
  /** Chance a new claim carries an account number another payee already used with this payer. */
  reuseOtherPayee: number;
}

/** A payer of the synthetic data set. */
export interface Payer {
  index: number;
  id: string;
  name: string;
  profile: PayerProfile;
  icnPrefix: string;
}

const COMMERCIAL_CAUSES = [
  ['coding', 4],
  ['duplicate', 2],
  ['eligibility', 2],
  ['documentation', 2],
  ['coordination_of_benefits', 2],
  ['prior_authorization', 1],
  ['non_covered', 1],
  ['contract_rate', 2],
  ['incorrect_payee', 1],
  ['audit', 1],
] as const;

/** Payer behaviours, cycled when there are more payers than profiles. */
export const PROFILES: readonly PayerProfile[] = [
  {
    name: 'aggressive',
    filing: [
      ['CI', 6],
      ['12', 2],
      ['13', 1],
    ],
    allowed: [520, 720],
    volume: 1.1,
    reversal: 0.045,
    correctionSame: 0.5,
    correctionNext: 0.3,
    causes: [
      ['audit', 6],
      ['documentation', 3],
      ['coding', 3],
      ['duplicate', 1],
      ['contract_rate', 1],
    ],
    woOffset: 0.018,
    woByPatientControl: 0.25,
    unlinkable: 0.005,
    clawback: 0.01,
    refundPair: 0.015,
    deferral: 0.15,
    affiliateOffset: 0.003,
    interest: 0,
    sequestration: false,
    secondary: 0.05,
    noLines: 0.05,
    renderingOmitted: 0.1,
    payWeekday: 1,
    trimAmounts: false,
    batch: 0.5,
    realism: {
      sendsF8: true,
      newIcnOnCorrection: true,
      correctionFrequency: '7',
      split: 0.3,
      composite: 0.6,
      memberIds: ['member'],
      delimiter: ' ',
      doubleReversal: 0.12,
      reuseSamePayee: 0.08,
      reuseOtherPayee: 0.03,
    },
  },
  {
    name: 'reverse_correct',
    filing: [
      ['12', 3],
      ['BL', 3],
      ['CI', 2],
    ],
    allowed: [600, 820],
    volume: 1.2,
    reversal: 0.065,
    correctionSame: 0.75,
    correctionNext: 0.2,
    causes: COMMERCIAL_CAUSES,
    woOffset: 0.005,
    woByPatientControl: 0.3,
    unlinkable: 0.002,
    clawback: 0,
    refundPair: 0.005,
    deferral: 0.02,
    affiliateOffset: 0,
    interest: 0.01,
    sequestration: false,
    secondary: 0.1,
    noLines: 0,
    renderingOmitted: 0.05,
    payWeekday: 3,
    trimAmounts: true,
    batch: 0,
    realism: {
      sendsF8: false,
      newIcnOnCorrection: true,
      correctionFrequency: '7',
      split: 0.45,
      composite: 0.5,
      memberIds: ['member'],
      delimiter: '-',
      doubleReversal: 0.08,
      reuseSamePayee: 0.1,
      reuseOtherPayee: 0.05,
    },
  },
  {
    name: 'clean',
    filing: [
      ['HM', 5],
      ['14', 1],
    ],
    allowed: [650, 850],
    volume: 0.9,
    reversal: 0.016,
    correctionSame: 0.9,
    correctionNext: 0.1,
    causes: COMMERCIAL_CAUSES,
    woOffset: 0.004,
    woByPatientControl: 0.4,
    unlinkable: 0,
    clawback: 0,
    refundPair: 0.004,
    deferral: 0,
    affiliateOffset: 0,
    interest: 0.02,
    sequestration: false,
    secondary: 0.03,
    noLines: 0.02,
    renderingOmitted: 0.2,
    payWeekday: 4,
    trimAmounts: false,
    batch: 0.2,
    realism: {
      sendsF8: true,
      newIcnOnCorrection: false,
      correctionFrequency: '7',
      split: 0.1,
      composite: 0,
      memberIds: ['member'],
      delimiter: ' ',
      doubleReversal: 0,
      reuseSamePayee: 0.06,
      reuseOtherPayee: 0.02,
    },
  },
  {
    name: 'medicare',
    filing: [['MB', 1]],
    allowed: [420, 600],
    volume: 1,
    reversal: 0.035,
    correctionSame: 0.6,
    correctionNext: 0.25,
    causes: [
      ['coding', 3],
      ['eligibility', 1],
      ['coordination_of_benefits', 2],
      ['non_covered', 2],
      ['audit', 2],
      ['incorrect_payee', 1],
      ['duplicate', 1],
    ],
    woOffset: 0.012,
    woByPatientControl: 0,
    unlinkable: 0.003,
    clawback: 0.004,
    refundPair: 0.01,
    deferral: 0.3,
    affiliateOffset: 0,
    interest: 0.05,
    sequestration: true,
    secondary: 0,
    noLines: 0,
    renderingOmitted: 0,
    payWeekday: 2,
    trimAmounts: true,
    batch: 0,
    realism: {
      sendsF8: false,
      newIcnOnCorrection: false,
      correctionFrequency: '1',
      split: 0.25,
      composite: 0.8,
      memberIds: ['mbi', 'hic'],
      delimiter: ' ',
      doubleReversal: 0.06,
      reuseSamePayee: 0.1,
      reuseOtherPayee: 0.03,
    },
  },
  {
    name: 'medicaid',
    filing: [
      ['MC', 4],
      ['HM', 1],
    ],
    allowed: [380, 560],
    volume: 0.8,
    reversal: 0.04,
    correctionSame: 0.4,
    correctionNext: 0.3,
    causes: [
      ['eligibility', 4],
      ['coordination_of_benefits', 3],
      ['prior_authorization', 2],
      ['non_covered', 1],
      ['coding', 1],
    ],
    woOffset: 0.008,
    woByPatientControl: 0.5,
    unlinkable: 0.004,
    clawback: 0.003,
    refundPair: 0.005,
    deferral: 0.05,
    affiliateOffset: 0.004,
    interest: 0,
    sequestration: false,
    secondary: 0.08,
    noLines: 0.1,
    renderingOmitted: 0.15,
    payWeekday: 0,
    trimAmounts: false,
    batch: 0.3,
    realism: {
      sendsF8: false,
      newIcnOnCorrection: true,
      correctionFrequency: '7',
      split: 0.3,
      composite: 0.4,
      memberIds: ['member'],
      delimiter: '/',
      doubleReversal: 0.08,
      reuseSamePayee: 0.12,
      reuseOtherPayee: 0.05,
    },
  },
];

export const PAYER_NAMES: readonly string[] = [
  'SUMMIT HEALTH PLAN',
  'BLUE RIVER MUTUAL',
  'CLEARWATER HMO',
  'MEDICARE PART B JURISDICTION 9',
  'STATE MEDICAID PROGRAM',
  'NORTHSTAR CARE',
  'PINNACLE ASSURANCE',
  'HARBOR HEALTH',
];

/** CPT codes with a typical fee in cents and the units that go with them. */
export const PROCEDURES: readonly (readonly [string, Cents, number])[] = [
  ['99213', 13500, 1],
  ['99214', 19500, 1],
  ['99203', 17000, 1],
  ['99204', 26000, 1],
  ['99215', 27000, 1],
  ['36415', 2500, 1],
  ['80053', 6200, 1],
  ['85025', 4100, 1],
  ['93000', 7800, 1],
  ['71046', 12000, 1],
  ['97110', 5600, 3],
  ['97140', 5200, 2],
  ['90471', 3800, 1],
  ['20610', 21000, 1],
  ['73721', 95000, 1],
  ['G0439', 24000, 1],
];

/** The CARCs (and group) a correction uses for each cause, and how often it denies the claim fully. */
export const CAUSE_CARCS: Record<
  Exclude<TruthCause, 'unspecified' | 'pending'>,
  { group: string; reasons: readonly string[]; full: number }
> = {
  duplicate: { group: 'CO', reasons: ['18', 'B13'], full: 0.9 },
  coding: { group: 'CO', reasons: ['97', '125', '4', '236', '181'], full: 0.2 },
  eligibility: { group: 'CO', reasons: ['27', '26', '31', '200'], full: 0.9 },
  documentation: { group: 'CO', reasons: ['16', '252', '226'], full: 0.5 },
  coordination_of_benefits: { group: 'OA', reasons: ['22', '23'], full: 0.6 },
  prior_authorization: { group: 'CO', reasons: ['15', '197', '198'], full: 0.7 },
  non_covered: { group: 'CO', reasons: ['96', '50', '204'], full: 0.7 },
  audit: { group: 'PI', reasons: ['150', '151'], full: 0.3 },
  incorrect_payee: { group: 'CO', reasons: ['B7', '185'], full: 0.9 },
  contract_rate: { group: 'CO', reasons: ['45'], full: 0 },
};
