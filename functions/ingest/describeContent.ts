/**
 * What a file that is not X12 text most likely is, read from its first bytes, so a quarantine
 * reason can say "a JPEG image" instead of a guess about encodings. It only names content; whether
 * the file is read is decided by the parser alone.
 */

/** Leading bytes of common binary formats people drop into an 835 folder by mistake. */
const SIGNATURES: { bytes: number[]; what: string; hint?: string }[] = [
  {
    bytes: [0x1f, 0x8b],
    what: 'gzip-compressed data',
    hint: 'a gzip delivery is read when its name ends in .gz',
  },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: 'a zip archive (or an Office document, which is one)',
    hint: 'a zip delivery is read when its name ends in .zip',
  },
  { bytes: [0x50, 0x4b, 0x05, 0x06], what: 'an empty zip archive' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF document' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], what: 'a PNG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { bytes: [0x49, 0x49, 0x2a, 0x00], what: 'a TIFF image' },
  { bytes: [0x4d, 0x4d, 0x00, 0x2a], what: 'a TIFF image' },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    what: 'an old-format Office document (.xls/.doc)',
  },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed data' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed data' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed data' },
  { bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], what: 'a RAR archive' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an executable (ELF)' },
  { bytes: [0x4d, 0x5a], what: 'a Windows executable' },
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20], what: 'an SQLite database' },
];

/** How many leading bytes are looked at. */
const SAMPLE = 512;

/**
 * A sentence naming what `bytes` hold when they are not text: a known format, UTF-16, or binary
 * (with the first offending byte); null when they look like text. `textChecks` false limits the
 * answer to known formats (for a file that is text-like but holds no ISA).
 */
export function describeNonText(bytes: Uint8Array, textChecks = true): string | null {
  const at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (const s of SIGNATURES) {
    if (s.bytes.every((b, i) => bytes[at + i] === b))
      return `file is ${s.what}, not X12 text${s.hint !== undefined ? ` (${s.hint})` : ''}`;
  }
  if (!textChecks) return null;
  const b0 = bytes[at];
  const b1 = bytes[at + 1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff))
    return 'file is UTF-16 text (it starts with a UTF-16 byte order mark); X12 must be ASCII or UTF-8';
  const end = Math.min(bytes.length, at + SAMPLE);
  let zerosEven = 0;
  let zerosOdd = 0;
  for (let i = at; i < end; i++) if (bytes[i] === 0) (i - at) % 2 === 0 ? zerosEven++ : zerosOdd++;
  const pairs = Math.floor((end - at) / 2);
  if (
    pairs >= 4 &&
    (zerosEven >= pairs * 0.9 || zerosOdd >= pairs * 0.9) &&
    zerosEven + zerosOdd <= pairs * 1.1
  )
    return 'file is UTF-16 text without a byte order mark; X12 must be ASCII or UTF-8';
  const { control, invalid } = scanText(bytes, at, end);
  const byteAt = (offset: number) =>
    `byte 0x${(bytes[offset] as number).toString(16).padStart(2, '0').toUpperCase()} at offset ${offset}`;
  if (control !== null) return `file is binary, not X12 text (${byteAt(control)} is a control byte)`;
  if (invalid !== null)
    return `file is not ASCII/UTF-8 text (${byteAt(invalid)}): binary content, or text in another encoding`;
  return null;
}

/**
 * The offsets of the first control byte text does not hold (NUL, a C0 control other than BEL, tab,
 * line feed, vertical tab, form feed, carriage return and the separators 0x1C–0x1F that X12 may
 * use, or DEL) and of the first byte that is not valid UTF-8, in [start, end); null for none.
 */
function scanText(
  bytes: Uint8Array,
  start: number,
  end: number,
): { control: number | null; invalid: number | null } {
  let control: number | null = null;
  let invalid: number | null = null;
  let i = start;
  while (i < end && control === null) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      if (b === 0x7f || (b < 0x1c && b !== 0x07 && (b < 0x09 || b > 0x0d))) control = i;
      i++;
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let valid = length > 0;
    for (let k = 1; valid && k < length && i + k < end; k++) {
      const c = bytes[i + k] as number;
      if (c < 0x80 || c > 0xbf) valid = false;
    }
    if (!valid) invalid ??= i;
    i += valid ? length : 1;
  }
  return { control, invalid };
}
