import exifr from 'exifr';
import fc from 'fast-check';
import sharp from 'sharp';
import '../helpers/fast-check-seed';
import { readableDetails, type ReadableDetails } from '../../src/core/metadata/readable';
import { scanMetadata } from '../../src/core/metadata/scan';
import type { FindingKind } from '../../src/core/metadata/types';
import { insertJpegSegments, jpegSegment, makeJpeg, noiseRgb } from '../helpers/plant';

/**
 * The XMP and IPTC names the scan reads without exifr (readable.ts jpegHeaderDetails), held to
 * exifr on random packets and records in shapes xmp-names.test.ts does not build by hand: random
 * nesting of descriptions, lists and parseType="Resource" structures, attributes with spaces and
 * either quote, names with dots, digits, hyphens and underscores, comments, CDATA and processing
 * instructions holding tags, unicode blanks, several XMP segments (main and extended, out of
 * order) and several APP13 segments with odd resource names, records and lengths. On every file
 * where the scan does not ask exifr, every label exifr gives must be in the scan's findings.
 */

jest.mock('exifr', () => {
  const real = jest.requireActual('exifr');
  const parse = jest.fn((...args: unknown[]) => real.parse(...args));
  return { __esModule: true, default: { ...real, parse }, parse };
});
const parse = exifr.parse as unknown as jest.Mock;

const PREFIXES = ['dc', 'photoshop', 'tiff', 'exif', 'xmp', 'xmpMM', 'Iptc4xmpCore', 'gps', 'iptc', 'x_tiff', 'a.b', 'ns-1', 'N2', 'rdf', 'xml'];
const NAMES = ['creator', 'City', 'Artist', 'Make', 'DateCreated', 'BodySerialNumber', 'title', 'Description', 'GPSLatitude', 'Keywords', 'foo', 'li', 'Seq', 'Bag', 'Alt', 'lipstick', 'x.y', 'a_b', 'Cre-ator', '9'];
const TEXTS = ['', ' ', '\n\t', 'Jane Doe', '0', 'false', 'null', 'undefined', 'true', '\u00a0', '\u3000', '\ufeff', ' \u2003 ', 'é', '&amp;', '&#x20;', '<', '>', 'a<b', '/rdf:li', '/rdf:Description',
  '<!-- <dc:creator>J</dc:creator> -->', '<![CDATA[<photoshop:City>X</photoshop:City>]]>', '<?pi <tiff:Make>x</tiff:Make>?>', '<!-- x -->', '<![CDATA[ ]]>'];

interface Attr { prefix: string; name: string; value: string; quote: string; eq: string; lead: string }
type Node = { kind: 'text'; text: string } | { kind: 'el'; prefix: string; name: string; attrs: Attr[]; children: Node[]; close: 'normal' | 'self' | 'missing' | 'spaced' | 'other'; pad: string };

/** Tidy: shapes an XML reader and exifr read alike (most of the runs); odd: anything. */
const ODD_TEXTS = new Set(['<', 'a<b', '/rdf:li', '/rdf:Description']);
const TIDY_PREFIXES = PREFIXES.filter((p) => !p.includes('.'));
const TIDY_NAMES = NAMES.filter((n) => !n.includes('.') && n !== 'lipstick');

function attribute(odd: boolean): fc.Arbitrary<Attr> {
  return fc.record({
    prefix: odd ? fc.constantFrom('', ...PREFIXES) : fc.constantFrom('xml', ...TIDY_PREFIXES.filter((p) => !p.includes('_'))),
    name: fc.constantFrom(...(odd ? NAMES : TIDY_NAMES.filter((n) => !n.includes('_'))), 'about', 'parseType', 'lang', 'resource'),
    value: fc.constantFrom(...TEXTS.filter((t) => !t.includes('"') && !t.includes("'") && (odd || (!t.includes('<') && !ODD_TEXTS.has(t)))), 'Resource', 'a>b', ...(odd ? ["dc:creator='J'"] : [])),
    quote: fc.constantFrom('"', '"', "'"),
    eq: odd ? fc.constantFrom('=', '=', ' = ', '= ') : fc.constant('='),
    lead: odd ? fc.constantFrom(' ', '\n  ', '\u00a0', '') : fc.constantFrom(' ', '\n  ', '\t'),
  });
}

function nodes(odd: boolean): fc.Memo<Node> {
  const texts = TEXTS.filter((t) => odd || !ODD_TEXTS.has(t));
  const node: fc.Memo<Node> = fc.memo((depth) => {
    const text = fc.constantFrom(...texts).map((t): Node => ({ kind: 'text', text: t }));
    if (depth <= 1) return text;
    return fc.oneof(
      { weight: 1, arbitrary: text },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('el' as const),
          prefix: fc.constantFrom(...(odd ? PREFIXES : TIDY_PREFIXES), 'rdf', 'rdf', 'dc', 'photoshop'),
          name: fc.constantFrom(...(odd ? NAMES : TIDY_NAMES), 'Description', 'li', 'li', 'Seq', 'Bag'),
          attrs: fc.array(attribute(odd), { maxLength: 3 }),
          children: fc.array(node(depth - 1), { maxLength: 4 }),
          close: odd
            ? fc.constantFrom<Array<'normal' | 'self' | 'missing' | 'spaced' | 'other'>>('normal', 'normal', 'self', 'missing', 'spaced', 'other')
            : fc.constantFrom<Array<'normal' | 'self'>>('normal', 'normal', 'normal', 'self'),
          pad: fc.constantFrom('', '', ' ', '\n'),
        }),
      },
    );
  });
  return node;
}

function render(n: Node): string {
  if (n.kind === 'text') return n.text;
  const name = `${n.prefix}:${n.name}`;
  const attrs = n.attrs.map((a) => `${a.lead}${a.prefix ? `${a.prefix}:` : ''}${a.name}${a.eq}${a.quote}${a.value}${a.quote}`).join('');
  if (n.close === 'self') return `<${name}${attrs}${n.pad}/>`;
  const inner = n.children.map(render).join('');
  const end = { normal: `</${name}>`, missing: '', spaced: `</${name} >`, other: '</dc:other>' }[n.close];
  return `<${name}${attrs}${n.pad}>${inner}${end}`;
}

const NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/"';
function packetOf(odd: boolean): fc.Arbitrary<string> {
  const node = nodes(odd);
  const description = fc.record({ attrs: fc.array(attribute(odd), { maxLength: 3 }), children: fc.array(node(4), { maxLength: 5 }), self: fc.boolean() })
    .map(({ attrs, children, self }) => render({ kind: 'el', prefix: 'rdf', name: 'Description', attrs: [{ prefix: 'rdf', name: 'about', value: '', quote: '"', eq: '=', lead: ' ' }, ...attrs], children, close: self && children.length === 0 ? 'self' : 'normal', pad: '' }));
  return fc.record({
    bom: fc.constantFrom('', '\ufeff'),
    wrapped: fc.boolean(),
    body: fc.array(fc.oneof({ weight: 3, arbitrary: description }, { weight: 1, arbitrary: node(4).map(render) }), { minLength: 1, maxLength: 3 }),
  }).map(({ bom, wrapped, body }) => {
    const inner = body.join('\n');
    return wrapped ? `${bom}<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ${NS}>${inner}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>` : `${bom}${inner}`;
  });
}

const packet = fc.oneof({ weight: 3, arbitrary: packetOf(false) }, { weight: 1, arbitrary: packetOf(true) });

const MAIN = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');
const EXT = Buffer.from('http://ns.adobe.com/xmp/extension/\0', 'latin1');

/** The packet's bytes in up to three pieces: the main segment and extended ones, in any order. */
const xmpSegments = fc.record({ text: packet, cuts: fc.array(fc.nat(), { maxLength: 2 }), order: fc.constantFrom('file', 'reversed', 'rotated'), count: fc.nat(3), truncate: fc.nat(6) })
  .map(({ text, cuts, order, count, truncate }) => {
    const bytes = Buffer.from(text, 'utf8');
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const pieces = [0, ...at].map((from, i) => bytes.subarray(from, i < at.length ? at[i] : bytes.length));
    const segments = pieces.map((piece, i) => {
      if (i === 0) return jpegSegment(0xe1, new Uint8Array(Buffer.concat([MAIN, piece])));
      const header = Buffer.alloc(40);
      Buffer.from('0123456789ABCDEF0123456789ABCDEF').copy(header);
      header.writeUInt32BE(bytes.length, 32);
      header.writeUInt32BE(at[i - 1], 36);
      header[32] = count; // exifr reads the chunk count from here
      return jpegSegment(0xe1, new Uint8Array(Buffer.concat([EXT, header.subarray(0, 40 - (truncate === 5 ? 39 : 0)), piece])));
    });
    if (order === 'reversed') segments.reverse();
    if (order === 'rotated' && segments.length > 1) segments.push(segments.shift()!);
    return segments;
  });

const iim = fc.record({
  record: fc.constantFrom(2, 2, 2, 1, 3),
  dataset: fc.constantFrom(80, 90, 25, 116, 5, 55, 0, 120, 122),
  value: fc.constantFrom('', 'Jane', 'x', ' ', '\u00e9t\u00e9'),
  extended: fc.constantFrom(false, false, false, true),
}).map(({ record, dataset, value, extended }) => {
  const v = Buffer.from(value, 'latin1');
  return extended ? [0x1c, record, dataset, 0x80, 4, 0, 0, 0, v.length, ...v] : [0x1c, record, dataset, v.length >> 8, v.length & 255, ...v];
});

const resource = fc.record({
  id: fc.constantFrom(0x0404, 0x0404, 0x040c, 0x0424),
  name: fc.constantFrom('', 'a', 'IPTC', 'abcdefg'),
  lead: fc.array(fc.constantFrom(0, 1, 0x1c), { maxLength: 3 }),
  records: fc.array(iim, { maxLength: 4 }),
}).map(({ id, name, lead, records }) => {
  const data = [...lead, ...records.flat()];
  const out = [...Buffer.from('8BIM', 'latin1'), id >> 8, id & 255, name.length, ...Buffer.from(name, 'latin1')];
  if ((name.length + 1) % 2) out.push(0);
  out.push(data.length >>> 24, (data.length >>> 16) & 255, (data.length >>> 8) & 255, data.length & 255, ...data);
  if (data.length % 2) out.push(0);
  return out;
});

const app13 = fc.record({ resources: fc.array(resource, { minLength: 1, maxLength: 3 }), cut: fc.nat(8), header: fc.constantFrom('Photoshop 3.0\0', 'Photoshop 3.0\0', 'Photoshop') })
  .map(({ resources, cut, header }) => {
    const body = [...Buffer.from(header, 'latin1'), ...resources.flat()];
    return jpegSegment(0xed, Uint8Array.from(cut === 0 ? body.slice(0, Math.max(14, body.length - 3)) : body));
  });

/** The labels of each kind the findings say are readable. */
function readableIn(findings: ReadonlyArray<{ kind: FindingKind; detail: string }>): ReadableDetails {
  const out: ReadableDetails = {};
  for (const f of findings) {
    const m = /readable: (.*)$/.exec(f.detail);
    if (m) out[f.kind] = m[1].split(', ');
  }
  return out;
}

/**
 * What readableDetails asks exifr for (readable.ts EXIFR_OPTIONS, translation aside): everything
 * on a file without EXIF, all but the TIFF blocks on one whose EXIF block the walk has named.
 */
const asked = (tiff: boolean) => ({ tiff, ifd0: tiff, exif: tiff, gps: tiff, interop: tiff, ifd1: tiff, xmp: true, iptc: true, icc: false, jfif: false, makerNote: false, userComment: false, mergeOutput: false, silentErrors: true }) as unknown as Parameters<typeof exifr.parse>[1];

let base: Uint8Array;
/** With an EXIF block the walk reads tag by tag and names: exifr would be asked without its TIFF blocks, and stops looking for segments early. */
let withExif: Uint8Array;
beforeAll(async () => {
  base = await makeJpeg();
  withExif = new Uint8Array(await sharp(noiseRgb(48, 32), { raw: { width: 48, height: 32, channels: 3 } }).jpeg({ quality: 85 }).withExif({ IFD0: { Artist: 'Jane Doe' } }).toBuffer());
});

test('on random XMP packets and IPTC records, the scan names everything exifr names', async () => {
  let compared = 0;
  let withXmp = 0;
  let exact = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(xmpSegments, { maxLength: 2 }), fc.array(app13, { maxLength: 2 }), fc.boolean(), fc.boolean(), async (xmp, iptc, iptcFirst, exif) => {
      const segments = iptcFirst ? [...iptc, ...xmp.flat()] : [...xmp.flat(), ...iptc];
      const bytes = insertJpegSegments(exif ? withExif : base, segments);
      parse.mockClear();
      const report = await scanMetadata(bytes);
      if (parse.mock.calls.length > 0) return;
      compared++;
      const ours = readableIn(report.findings);
      const theirs = await readableDetails(bytes, { skipTiffBlocks: exif });
      for (const [kind, labels] of Object.entries(theirs)) expect([kind, ours[kind as FindingKind] ?? []]).toEqual([kind, expect.arrayContaining(labels)]);
      // Exactly, unless exifr failed somewhere (an IPTC dataset running past its segment, an
      // empty XMP segment): then it names less, or nothing at all, where ours still names all.
      const failed = 'errors' in ((await exifr.parse(new Uint8Array(bytes), asked(!exif))) ?? {});
      if (!failed) {
        exact++;
        expect(ours).toEqual(theirs);
      }
      if (xmp.length > 0) withXmp++;
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
  );
  expect(compared).toBeGreaterThan(300);
  expect(withXmp).toBeGreaterThan(120);
  expect(exact).toBeGreaterThan(120);
});
