/**
 * The 835 elements the lake keeps, declared once: which segment (and qualifier), which element,
 * read in which loop, lands in which column of which lake table. This list is the only place that
 * says what the lake keeps (CONTRIBUTING.md: "I need a new column").
 *
 * - Entries read `first` or `list` are applied by the reader generically (elementRules.ts derives
 *   its tables, and the segment lexer's, from them): adding one, with its schema column, is all a
 *   new kept element needs. They may sit in a claim (2100) or a service line (2110) and land in
 *   `claims`, or in a service line and land in `adjustments` (on that line's rows).
 * - Entries read `reader` are read by the reader's own code (amounts that balance, CAS triplets,
 *   PLB pairs, the header's loops); they are listed so that the list is whole and the test that
 *   holds the reader to the map (test/element-map.test.ts) covers them too.
 *
 * Columns that no element fills directly (keys, sequence numbers, balancing, taxonomy) are in
 * COMPUTED_COLUMNS. Every lake column is in one of the two (lake/schema.ts takes the types of
 * mapped columns from here).
 */
import type { ColumnType, LakeTable } from '../lake/schema.ts';

/** The loop an element is read in: the header (BPR..N1 loops), a claim (2100), a service line (2110), a PLB. */
export type ElementLevel = 'remittance' | 'claim' | 'service' | 'provider';

/**
 * How an element is read: `first` keeps the loop's first non-blank value, `list` every value
 * (distinct, comma separated, in order), `reader` names the reader's own code (see `note`).
 */
export type ElementRead = 'first' | 'list' | 'reader';

export interface ElementEntry {
  /** Segment id, e.g. `REF`. */
  readonly segment: string;
  /** The value of element 01 that selects the segment (`F8` of REF*F8); absent: every such segment. */
  readonly qualifier?: string;
  /** Another element that must hold a value for this one to be read (NM108 = XX before NM109). */
  readonly where?: { readonly position: number; readonly value: string };
  /** Element position, 1-based: REF02 is 2. */
  readonly position: number;
  /** Component of a composite element, 1-based (PLB03-2 is position 3, component 2). */
  readonly component?: number;
  readonly level: ElementLevel;
  readonly table: LakeTable;
  readonly column: string;
  readonly type: ColumnType;
  readonly read: ElementRead;
  /** A short code from a code list: the segment lexer interns it (one string per distinct code, not per claim). */
  readonly code?: true;
  /** What the element is, and for `reader` entries, what the reader does with it. */
  readonly note: string;
}

// biome-ignore format: one entry a line, read as a table
export const ELEMENT_MAP = [
  // Header (BPR, TRN, DTM, the payer's and payee's N1 loops) and envelope: the reader's own code.
  { segment: 'BPR', position: 1, level: 'remittance', table: 'remittances', column: 'handling_code', type: 'varchar', read: 'reader', note: 'BPR01 transaction handling code' },
  { segment: 'BPR', position: 2, level: 'remittance', table: 'remittances', column: 'payment_amount', type: 'money', read: 'reader', note: 'BPR02 total provider payment (required; checked against the claims and PLBs)' },
  { segment: 'BPR', position: 3, level: 'remittance', table: 'remittances', column: 'credit_debit', type: 'varchar', read: 'reader', note: 'BPR03 credit/debit flag' },
  { segment: 'BPR', position: 4, level: 'remittance', table: 'remittances', column: 'payment_method', type: 'varchar', read: 'reader', note: 'BPR04 payment method' },
  { segment: 'BPR', position: 16, level: 'remittance', table: 'remittances', column: 'payment_date', type: 'date', read: 'reader', note: 'BPR16 check issue / EFT effective date; outside the plausible window it is a warning and NULL' },
  { segment: 'TRN', position: 2, level: 'remittance', table: 'remittances', column: 'trace_number', type: 'varchar', read: 'reader', note: 'TRN02 check/EFT trace number (the first TRN)' },
  { segment: 'TRN', position: 3, level: 'remittance', table: 'remittances', column: 'payer_id', type: 'varchar', read: 'reader', note: 'TRN03 originating company id: the payer id when neither REF*2U nor N1*PR XV names one' },
  { segment: 'DTM', qualifier: '405', position: 2, level: 'remittance', table: 'remittances', column: 'production_date', type: 'date', read: 'reader', note: 'DTM*405 production date' },
  { segment: 'N1', qualifier: 'PR', position: 2, level: 'remittance', table: 'remittances', column: 'payer_name', type: 'varchar', read: 'reader', note: 'N1*PR payer name' },
  { segment: 'N1', qualifier: 'PR', where: { position: 3, value: 'XV' }, position: 4, level: 'remittance', table: 'remittances', column: 'payer_id', type: 'varchar', read: 'reader', note: 'N1*PR N104 with N103 XV (CMS plan id), unless REF*2U names the payer' },
  { segment: 'REF', qualifier: '2U', position: 2, level: 'remittance', table: 'remittances', column: 'payer_id', type: 'varchar', read: 'reader', note: 'REF*2U payer identification, in the payer loop' },
  { segment: 'N1', qualifier: 'PE', position: 2, level: 'remittance', table: 'remittances', column: 'payee_name', type: 'varchar', read: 'reader', note: 'N1*PE payee name' },
  { segment: 'N1', qualifier: 'PE', where: { position: 3, value: 'XX' }, position: 4, level: 'remittance', table: 'remittances', column: 'payee_npi', type: 'varchar', read: 'reader', note: 'N1*PE N104 with N103 XX (NPI)' },
  { segment: 'N1', qualifier: 'PE', where: { position: 3, value: 'FI' }, position: 4, level: 'remittance', table: 'remittances', column: 'payee_tin', type: 'varchar', read: 'reader', note: 'N1*PE N104 with N103 FI (tax id)' },
  { segment: 'REF', qualifier: 'TJ', position: 2, level: 'remittance', table: 'remittances', column: 'payee_tin', type: 'varchar', read: 'reader', note: 'REF*TJ payee tax id, in the payee loop' },
  { segment: 'GS', position: 8, level: 'remittance', table: 'remittances', column: 'x12_version', type: 'varchar', read: 'reader', note: 'GS08 version / implementation guide (ISA12 when GS08 is blank)' },
  { segment: 'ISA', position: 13, level: 'remittance', table: 'remittances', column: 'interchange_control', type: 'varchar', read: 'reader', note: 'ISA13 interchange control number (not part of remit_id nor of the content fingerprint)' },
  { segment: 'ST', position: 2, level: 'remittance', table: 'remittances', column: 'transaction_control', type: 'varchar', read: 'reader', note: 'ST02 transaction set control number (not part of remit_id nor of the content fingerprint)' },

  // Claim (2100): CLP01-05 are read by the reader (the claim's key and its balancing amounts).
  { segment: 'CLP', position: 1, level: 'claim', table: 'claims', column: 'claim_id', type: 'varchar', read: 'reader', note: 'CLP01 patient control number (required; never in an output that leaves the lake)' },
  { segment: 'CLP', position: 2, level: 'claim', table: 'claims', column: 'status_code', type: 'varchar', read: 'reader', note: 'CLP02 claim status (required; 22 is a reversal)' },
  { segment: 'CLP', position: 3, level: 'claim', table: 'claims', column: 'charge_amount', type: 'money', read: 'reader', note: 'CLP03 total charge (required)' },
  { segment: 'CLP', position: 4, level: 'claim', table: 'claims', column: 'paid_amount', type: 'money', read: 'reader', note: 'CLP04 payment (required)' },
  { segment: 'CLP', position: 5, level: 'claim', table: 'claims', column: 'patient_responsibility', type: 'money', read: 'reader', note: 'CLP05 patient responsibility' },
  { segment: 'CLP', position: 6, level: 'claim', table: 'claims', column: 'filing_indicator', type: 'varchar', read: 'first', code: true, note: 'CLP06 claim filing indicator' },
  { segment: 'CLP', position: 7, level: 'claim', table: 'claims', column: 'payer_claim_control', type: 'varchar', read: 'first', note: 'CLP07 payer claim control number (ICN)' },
  { segment: 'CLP', position: 8, level: 'claim', table: 'claims', column: 'facility_code', type: 'varchar', read: 'first', code: true, note: 'CLP08 facility type / place of service' },
  { segment: 'CLP', position: 9, level: 'claim', table: 'claims', column: 'frequency_code', type: 'varchar', read: 'first', code: true, note: 'CLP09 claim frequency (7 replacement, 8 void)' },
  { segment: 'CLP', position: 11, level: 'claim', table: 'claims', column: 'drg_code', type: 'varchar', read: 'first', note: 'CLP11 DRG code' },
  { segment: 'NM1', qualifier: '82', where: { position: 8, value: 'XX' }, position: 9, level: 'claim', table: 'claims', column: 'rendering_npi', type: 'varchar', read: 'reader', note: 'NM1*82 rendering provider NPI (NM108 XX); the only NM1 read: patient and insured names never are' },
  { segment: 'DTM', qualifier: '232', position: 2, level: 'claim', table: 'claims', column: 'statement_from', type: 'date', read: 'reader', note: 'DTM*232 statement period start (the last one); also the service date' },
  { segment: 'DTM', qualifier: '233', position: 2, level: 'claim', table: 'claims', column: 'statement_to', type: 'date', read: 'reader', note: 'DTM*233 statement period end (the last one)' },
  { segment: 'REF', qualifier: 'F8', position: 2, level: 'claim', table: 'claims', column: 'original_reference', type: 'varchar', read: 'first', note: 'REF*F8 original reference number: the claim a corrected claim replaces' },
  { segment: 'REF', qualifier: 'EA', position: 2, level: 'claim', table: 'claims', column: 'medical_record_number', type: 'varchar', read: 'first', note: 'REF*EA medical record number (stays in the lake, never in an output that leaves it)' },
  { segment: 'MOA', position: 3, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MOA03 outpatient remark code (RARC)' },
  { segment: 'MOA', position: 4, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MOA04 remark code' },
  { segment: 'MOA', position: 5, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MOA05 remark code' },
  { segment: 'MOA', position: 6, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MOA06 remark code' },
  { segment: 'MOA', position: 7, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MOA07 remark code' },
  { segment: 'MIA', position: 5, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MIA05 inpatient remark code (RARC)' },
  { segment: 'MIA', position: 20, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MIA20 remark code' },
  { segment: 'MIA', position: 21, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MIA21 remark code' },
  { segment: 'MIA', position: 22, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MIA22 remark code' },
  { segment: 'MIA', position: 23, level: 'claim', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'MIA23 remark code' },
  { segment: 'CAS', position: 1, level: 'claim', table: 'adjustments', column: 'group_code', type: 'varchar', read: 'reader', note: 'CAS01 group code of a claim-level CAS' },
  { segment: 'CAS', position: 2, level: 'claim', table: 'adjustments', column: 'reason_code', type: 'varchar', read: 'reader', note: 'CAS02 reason code (CARC); one row per triplet, CAS02-04 .. CAS17-19' },
  { segment: 'CAS', position: 3, level: 'claim', table: 'adjustments', column: 'amount', type: 'money', read: 'reader', note: 'CAS03 amount of the triplet (claim balancing)' },
  { segment: 'CAS', position: 4, level: 'claim', table: 'adjustments', column: 'quantity', type: 'double', read: 'reader', note: 'CAS04 quantity of the triplet' },

  // Service line (2110).
  { segment: 'SVC', position: 1, component: 2, level: 'service', table: 'adjustments', column: 'procedure_code', type: 'varchar', read: 'reader', note: 'SVC01-2 procedure code, on the line’s CAS rows (SVC02/03 only balance the line)' },
  { segment: 'DTM', qualifier: '472', position: 2, level: 'service', table: 'claims', column: 'service_date', type: 'date', read: 'reader', note: 'DTM*472 service date: the claim’s is its statement start, else its lines’ earliest' },
  { segment: 'DTM', qualifier: '150', position: 2, level: 'service', table: 'claims', column: 'service_date', type: 'date', read: 'reader', note: 'DTM*150 service period start, read as DTM*472' },
  { segment: 'CAS', position: 1, level: 'service', table: 'adjustments', column: 'group_code', type: 'varchar', read: 'reader', note: 'CAS01 group code of a line-level CAS' },
  { segment: 'CAS', position: 2, level: 'service', table: 'adjustments', column: 'reason_code', type: 'varchar', read: 'reader', note: 'CAS02 reason code (CARC), one row per triplet' },
  { segment: 'CAS', position: 3, level: 'service', table: 'adjustments', column: 'amount', type: 'money', read: 'reader', note: 'CAS03 amount (line and claim balancing)' },
  { segment: 'CAS', position: 4, level: 'service', table: 'adjustments', column: 'quantity', type: 'double', read: 'reader', note: 'CAS04 quantity' },
  { segment: 'REF', qualifier: '6R', position: 2, level: 'service', table: 'adjustments', column: 'line_control_number', type: 'varchar', read: 'first', note: 'REF*6R line item control number, on the line’s CAS rows' },
  { segment: 'LQ', qualifier: 'HE', position: 2, level: 'service', table: 'claims', column: 'remark_codes', type: 'varchar', read: 'list', note: 'LQ*HE line remark code (RARC), listed with its claim’s' },

  // Provider-level adjustments (PLB): one row per reason/amount pair, PLB03/04 .. PLB13/14.
  { segment: 'PLB', position: 1, level: 'provider', table: 'adjustments', column: 'provider_npi', type: 'varchar', read: 'reader', note: 'PLB01 provider identifier (a row linked to a claim takes the claim’s provider)' },
  { segment: 'PLB', position: 2, level: 'provider', table: 'adjustments', column: 'fiscal_period_date', type: 'date', read: 'reader', note: 'PLB02 fiscal period date' },
  { segment: 'PLB', position: 3, component: 1, level: 'provider', table: 'adjustments', column: 'reason_code', type: 'varchar', read: 'reader', note: 'PLB03-1 adjustment reason code (WO, FB, 72, L6, …)' },
  { segment: 'PLB', position: 3, component: 2, level: 'provider', table: 'adjustments', column: 'reference_id', type: 'varchar', read: 'reader', note: 'PLB03-2 reference: its claim-identifying tokens, member identifiers (HIC, MBI, member number) removed' },
  { segment: 'PLB', position: 4, level: 'provider', table: 'adjustments', column: 'amount', type: 'money', read: 'reader', note: 'PLB04 amount (transaction balancing)' },
] as const satisfies readonly ElementEntry[];

/** Lake columns that no element fills directly, and how each is made. */
export const COMPUTED_COLUMNS: Readonly<Record<LakeTable, Readonly<Record<string, string>>>> = {
  remittances: {
    remit_id: '`<remit_key>-<first 16 hex of content_sha256>`',
    remit_key:
      'SHA-256 of payer id, payee id, TRN02, BPR02 and BPR16 (32 hex): a re-sent copy and a key conflict share it',
    content_sha256:
      'SHA-256 of the segments between ST and SE, canonical delimiters, no envelope control numbers',
    source_key: 'where the file came from',
    source_sha256: 'SHA-256 of the whole file',
    payee_id: 'payee NPI, else TIN, else N1*PE N104 of another qualifier or REF*PQ, else payee name',
    payment_month: 'YYYY-MM of payment_date, `unknown` without one (a partition key)',
    claim_count: 'number of CLP loops',
    plb_total: 'Σ PLB amounts',
    balance_difference: 'Σ CLP04 − Σ PLB − BPR02 (sign-adjusted for debits)',
    unbalanced_claims: 'claims where CLP03 − Σ CAS ≠ CLP04',
    unbalanced_services: 'lines where SVC02 − Σ CAS ≠ SVC03',
    balanced: 'no difference at any level',
    warnings: 'tolerated deviations, `; ` separated',
    ingested_at: 'when the file was ingested',
  },
  claims: {
    remit_id: 'the remittance’s',
    payer_id: 'the remittance’s (a partition key)',
    claim_seq: 'position of the CLP in the transaction, from 1',
    payee_npi: 'the remittance’s',
    provider_npi: 'rendering NPI, else the payee NPI',
    payment_date: 'the remittance’s',
    payment_month: 'the remittance’s (a partition key)',
    is_reversal: 'CLP02 = 22',
    service_count: 'number of SVC lines',
    balanced: 'CLP03 − Σ CAS = CLP04',
  },
  adjustments: {
    remit_id: 'the remittance’s',
    payer_id: 'the remittance’s (a partition key)',
    adjustment_seq: 'position of the row in the transaction, from 1',
    level: 'claim, service (a CAS) or provider (a PLB pair)',
    claim_seq: 'its claim (a PLB row: the claim its reference names in this transaction)',
    claim_id: 'its claim’s CLP01',
    claim_status: 'its claim’s CLP02',
    payer_claim_control: 'its claim’s CLP07',
    category: 'taxonomy of the CAS group / PLB code (DESIGN.md)',
    cause:
      'class of the row’s own CARC (docs/835.md §7; other when none); NULL on a reversal’s rows (CLP02 = 22) and PLB rows: a takeback’s cause is the marts’ (docs/models.md, "Cause of a takeback")',
    payment_date: 'the remittance’s',
    payment_month: 'the remittance’s (a partition key)',
  },
};

type Entry = (typeof ELEMENT_MAP)[number];

/** Columns of `table` that generic (`first` / `list`) entries fill: the reader keeps them by name. */
export type GenericColumn<T extends LakeTable> = Extract<
  Entry,
  { table: T; read: 'first' | 'list' }
>['column'];
