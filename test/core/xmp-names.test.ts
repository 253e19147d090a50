import { jpegHeaderDetails, readableDetails, type ReadableDetails } from '../../src/core/metadata/readable';
import { scanMetadata, scanStructure } from '../../src/core/metadata/scan';
import { xmpProperties } from '../../src/core/metadata/xmp-names';
import { insertJpegSegments, jpegSegment, makeJpeg } from '../helpers/plant';

/**
 * The XMP and IPTC field names the scan reads without exifr (readable.ts jpegHeaderDetails), held
 * to exifr itself on packets and records built by hand: the usual shapes, the empty ones exifr
 * drops, and the odd ones (comments, nested descriptions, extended XMP, a badly padded resource
 * name). Where an XML reader and exifr's regular expressions part ways, ours may name more,
 * never less.
 */

const NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"';
const packet = (description: string) => `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ${NS}>${description}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
const described = (attrs: string, body = '') => packet(body ? `<rdf:Description rdf:about="" ${attrs}>${body}</rdf:Description>` : `<rdf:Description rdf:about="" ${attrs}/>`);

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const xmpSegment = (text: string) => jpegSegment(0xe1, new Uint8Array(Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), utf8(text)])));

/** APP13 "Photoshop 3.0" with the given 8BIM resources: [id, name, data]. */
function photoshop(resources: Array<[number, string, number[]]>): Uint8Array {
  const out: number[] = [...Buffer.from('Photoshop 3.0\0', 'latin1')];
  for (const [id, name, data] of resources) {
    out.push(...Buffer.from('8BIM', 'latin1'), id >> 8, id & 255, name.length, ...Buffer.from(name, 'latin1'));
    if ((name.length + 1) % 2) out.push(0);
    out.push(data.length >>> 24, (data.length >>> 16) & 255, (data.length >>> 8) & 255, data.length & 255, ...data);
    if (data.length % 2) out.push(0);
  }
  return jpegSegment(0xed, Uint8Array.from(out));
}

/** IIM records 2:dataset (IPTC IIM 4.2 §1.5). */
const iim = (datasets: Array<[number, string]>) => datasets.flatMap(([n, v]) => [0x1c, 2, n, v.length >> 8, v.length & 255, ...Buffer.from(v, 'latin1')]);

let base: Uint8Array;
beforeAll(async () => {
  base = await makeJpeg();
});

async function both(segments: Uint8Array[]): Promise<{ ours: ReadableDetails | null; theirs: ReadableDetails; bytes: Uint8Array }> {
  const bytes = insertJpegSegments(base, segments);
  const { parts } = scanStructure(bytes);
  return { ours: jpegHeaderDetails(bytes, parts), theirs: await readableDetails(bytes, { skipTiffBlocks: true }), bytes };
}

/** Every label exifr gives, ours gives too. */
function expectSuperset(ours: ReadableDetails, theirs: ReadableDetails): void {
  for (const [kind, labels] of Object.entries(theirs)) expect(ours[kind as keyof ReadableDetails]).toEqual(expect.arrayContaining(labels));
}

const SAME: Array<[string, string, ReadableDetails]> = [
  ['attributes of the description', described('photoshop:City="Leeds" photoshop:Country="" xmp:CreatorTool="GIMP 2.10"'), { xmp: ['editing history/document ids', 'place names'] }],
  ['single-quoted attributes and a ">" inside a value', described(`photoshop:City='Leeds' dc:format="a>b"`), { xmp: ['place names'] }],
  ['lists (Seq, Bag, Alt)', described('', '<dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator><dc:subject><rdf:Bag><rdf:li>ward 3</rdf:li></rdf:Bag></dc:subject><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Visit</rdf:li></rdf:Alt></dc:title>'), { xmp: ['free text', 'person or owner name'] }],
  ['empty, blank, "null" and "undefined" values', described('photoshop:Country="  "', '<dc:creator><rdf:Seq><rdf:li></rdf:li></rdf:Seq></dc:creator><dc:rights> </dc:rights><photoshop:City>null</photoshop:City><photoshop:State>undefined</photoshop:State><photoshop:Credit>\u00a0</photoshop:Credit>'), {}],
  ['an empty list item that still carries xml:lang (exifr keeps the attribute)', described('', '<dc:title><rdf:Alt><rdf:li xml:lang="x-default"></rdf:li></rdf:Alt></dc:title>'), { xmp: ['free text'] }],
  ['a structure (History): named by its own name, not its fields', described('', '<xmpMM:History><rdf:Seq><rdf:li stEvt:action="saved" stEvt:softwareAgent="Adobe Photoshop"/></rdf:Seq></xmpMM:History>'), { xmp: ['editing history/document ids'] }],
  ['a description nested in a list item: its fields are not properties of the packet', described('', '<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag><rdf:li><rdf:Description mwg-rs:Name="Jane Doe" mwg-rs:Type="Face"><dc:creator>x</dc:creator></rdf:Description></rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>'), {}],
  ['tiff: and exif: properties land in the EXIF kind', described('tiff:Make="Canon"', '<exif:DateTimeOriginal>2026-01-02T03:04:05</exif:DateTimeOriginal><exif:GPSLatitude>0</exif:GPSLatitude><tiff:Orientation>6</tiff:Orientation>'), { exif: ['GPS position', 'camera make/model', 'dates'] }],
  ['a property inside a comment is named, as exifr names it', described('', '<!-- <dc:creator>Jane Doe</dc:creator> -->'), { xmp: ['person or owner name'] }],
  ['two descriptions', packet(`<rdf:Description rdf:about="" photoshop:City="Leeds"/><rdf:Description rdf:about=""><dc:creator>Jane</dc:creator></rdf:Description>`), { xmp: ['person or owner name', 'place names'] }],
  ['no rdf:Description: only the outermost elements are properties', '<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Jane</dc:creator></x:xmpmeta>', {}],
  ['"null" and "undefined" with white space around them, which exifr keeps', described('photoshop:City=" null"', '<dc:creator>\tundefined</dc:creator>'), { xmp: ['person or owner name', 'place names'] }],
  ['a CDATA value', described('', '<photoshop:City><![CDATA[Leeds]]></photoshop:City>'), { xmp: ['place names'] }],
  ['a prefix with a dot, which exifr does not take for a tag: what it holds is read in its place', described('', '<a.b:x><dc:creator>Jane</dc:creator></a.b:x>'), { xmp: ['person or owner name'] }],
  ['a list of two empty items (exifr keeps the list of two nothings)', described('', '<dc:creator><rdf:Seq><rdf:li/><rdf:li></rdf:li></rdf:Seq></dc:creator><dc:title><rdf:Alt><rdf:li/></rdf:Alt></dc:title>'), { xmp: ['person or owner name'] }],
  ['text beside a child element, which exifr does not read', described('', '<dc:creator>Jane<dc:x/></dc:creator>'), {}],
  ['self-closing list items (Photoshop\'s History) next to a list that holds a description', described('', '<xmpMM:History><rdf:Seq><rdf:li stEvt:action="saved"/><rdf:li stEvt:action="saved"/></rdf:Seq></xmpMM:History><mwg-rs:RegionList><rdf:Bag><rdf:li><rdf:Description mwg-rs:Name="x"></rdf:Description></rdf:li><rdf:li/></rdf:Bag></mwg-rs:RegionList><dc:creator><rdf:Seq><rdf:li>J</rdf:li></rdf:Seq></dc:creator>'), { xmp: ['editing history/document ids', 'person or owner name'] }],
];

test.each(SAME)('XMP, %s: the names exifr gives', async (_name, text, expected) => {
  const { ours, theirs } = await both([xmpSegment(text)]);
  expect(theirs).toEqual(expected);
  expect(ours).toEqual(theirs);
});

/**
 * Packets exifr's regular expressions read otherwise than an XML reader (xmp.mjs XmlTag.findAll:
 * an element ends at the first `</P:N>` after it, or is skipped and its content read in its
 * place). The reader of 0c690e0 kept its own reading of each and named less than exifr; now it
 * leaves every one to exifr, so the scan names what exifr names.
 */
const LEFT_TO_EXIFR: Array<[string, string[], ReadableDetails]> = [
  ['a description tag exifr cannot match (no space between attributes): it reads the packet as one description', ['<rdf:Description rdf:about=""dc:x="y"><dc:creator>Jane</dc:creator></rdf:Description>'], { xmp: ['person or owner name'] }],
  ['an element never closed: the properties inside it are read as the description\'s', [described('', '<dc:foo><dc:creator>Jane</dc:creator>')], { xmp: ['person or owner name'] }],
  ['an element inside one of the same name: the outer ends at the inner\'s end tag', [described('', '<dc:foo><dc:foo></dc:foo><dc:creator>Jane</dc:creator></dc:foo>')], { xmp: ['person or owner name'] }],
  ['spaces around "=", which exifr does not take for an attribute', [described('', '<dc:x a:b = "1"><tiff:Artist>Jane</tiff:Artist></dc:x>')], { exif: ['person or owner name'] }],
  ['a self-closing description inside a list item: exifr pairs the outer description\'s end tag with it, and reads that one alone', [described('', '<dc:creator>Jane</dc:creator><dc:x><rdf:Bag><rdf:li><rdf:Description dc:y="x"/></rdf:li></rdf:Bag></dc:x>')], {}],
  ['an attribute name with "_", of which exifr reads the part after it', [described('x_tiff:Artist="Jane"')], { exif: ['person or owner name'] }],
  ['an end tag with a space before ">"', [described('', '<dc:x><dc:creator>Jane</dc:creator></dc:x >')], { xmp: ['person or owner name'] }],
  ['a self-closing list item inside an open one: exifr\'s numbering pairs the outer start with the wrong end', [described('', '<rdf:li><rdf:li/><dc:creator>Jane</dc:creator></rdf:li>')], { xmp: ['person or owner name'] }],
  ['"/rdf:li" in a value, which exifr counts as an end tag', [described('', '<rdf:li>a/rdf:li<dc:creator>Jane</dc:creator></rdf:li>')], { xmp: ['person or owner name'] }],
  ['a no-break space where exifr\'s \\s matches it', [described('', '<tiff:Artist\u00a0tiff:x="Jane"/>')], { exif: ['person or owner name'] }],
];

test.each(LEFT_TO_EXIFR)('XMP, %s: left to exifr', async (_name, texts, expected) => {
  const { ours, theirs, bytes } = await both(texts.map(xmpSegment));
  expect(ours).toBeNull();
  if (Object.keys(expected).length > 0) expect(theirs).toEqual(expect.objectContaining(expected));
  const report = await scanMetadata(bytes);
  for (const [kind, labels] of Object.entries(theirs)) expect(report.findings.find((f) => f.kind === kind)?.detail).toContain(`readable: ${labels.join(', ')}`);
});

/** An extended XMP chunk (XMP Part 3 §1.1.3.1): GUID, full length, offset, then the bytes. */
const extension = (chunk: Uint8Array, fullLength: number, offset: number) => jpegSegment(0xe1, new Uint8Array(Buffer.concat([
  Buffer.from('http://ns.adobe.com/xmp/extension/\0', 'latin1'), Buffer.from('0123456789ABCDEF0123456789ABCDEF', 'latin1'),
  Buffer.from([fullLength >>> 24, (fullLength >>> 16) & 255, (fullLength >>> 8) & 255, fullLength & 255, 0, 0, offset >> 8, offset & 255]), chunk,
])));

test('extended XMP (XMP Part 3 §1.1.3.1): the chunks are read as one packet, as exifr joins them', async () => {
  const full = utf8(described('', '<photoshop:City>Leeds</photoshop:City><dc:creator>Jane Doe</dc:creator>'));
  const cut = Buffer.from(full).indexOf('<dc:creator>') + 5;
  const main = xmpSegment(described('xmpNote:HasExtendedXMP="0123456789ABCDEF0123456789ABCDEF"'));
  const { ours, theirs } = await both([main, extension(full.slice(0, cut), full.length, 0), extension(full.slice(cut), full.length, cut)]);
  expect(ours).toEqual(theirs);
  expect(ours?.xmp).toEqual(['person or owner name', 'place names']);
});

test('extended XMP cut inside a character, which exifr decodes chunk by chunk: left to exifr', async () => {
  // U+3000 is white space to trim(); its halves, decoded apart, are U+FFFD, which is not.
  const full = utf8(described('', '<photoshop:City>\u3000</photoshop:City>'));
  const cut = Buffer.from(full).indexOf(Buffer.from('\u3000', 'utf8')) + 1;
  const { ours, theirs } = await both([xmpSegment(described('')), extension(full.slice(0, cut), full.length, 0), extension(full.slice(cut), full.length, cut)]);
  expect(theirs).toEqual({ xmp: ['place names'] });
  expect(ours).toBeNull();
});

test('two main XMP segments and no extended one: exifr reads the first only, and so does ours', async () => {
  // Read as one packet, the second one's description would make the first one's element no property.
  const { ours, theirs } = await both([xmpSegment('<dc:creator>Jane</dc:creator>'), xmpSegment(described('photoshop:City="Leeds"'))]);
  expect(theirs).toEqual({ xmp: ['person or owner name'] });
  expect(ours).toEqual(theirs);
});

test('exifr without its TIFF blocks stops looking once it has an IPTC and an XMP segment: the XMP segments after them are left to exifr', async () => {
  // jpeg.mjs findAppSegmentsInRange: with "tiff" off and xmp's multiSegment option off (its
  // default), nothing more is wanted once both are found, so neither the extension chunk nor
  // the second main segment is read, and what the first names depends on that (without an
  // rdf:Description, its outermost elements are properties). With "tiff" on, exifr reads all.
  const segments = [photoshop([[0x0404, '', iim([[80, 'Jane Doe']])]]), xmpSegment('<dc:creator>Jane</dc:creator>'), extension(utf8(' '), 0x10000, 0), xmpSegment(described('photoshop:City="Leeds"'))];
  const { ours, theirs, bytes } = await both(segments);
  expect(theirs).toEqual({ iptc: ['person or owner name'], xmp: ['person or owner name'] });
  expect(await readableDetails(bytes)).toEqual({ iptc: ['person or owner name'], xmp: ['place names'] });
  expect(ours).toBeNull();
});

test('IPTC: the datasets exifr names, empty ones left out, after other resources', async () => {
  const record = iim([[80, 'Jane Doe'], [90, 'Leeds'], [25, 'ward'], [116, ''], [5, 'visit']]);
  const { ours, theirs } = await both([photoshop([[0x040c, '', [1, 2, 3]], [0x0404, '', record]])]);
  expect(theirs).toEqual({ iptc: ['free text', 'person or owner name', 'place names'] });
  expect(ours).toEqual(theirs);
});

test('IPTC under a resource name exifr measures one byte late (odd and even names), and record 1 before record 2', async () => {
  const record = [0x1c, 1, 90, 0, 2, 0x30, 0x31, ...iim([[80, 'Jane Doe'], [101, 'UK']])];
  for (const name of ['', 'a', 'IPTC', 'abcdefg']) {
    const { ours, theirs } = await both([photoshop([[0x0404, name, record]])]);
    expect([name, ours]).toEqual([name, theirs]);
  }
});

test('IPTC with a dataset repeated, empty both times: exifr names it (a list of two empty values)', async () => {
  const { ours, theirs } = await both([photoshop([[0x0404, '', iim([[80, ''], [90, ''], [80, '']])]])]);
  expect(theirs).toEqual({ iptc: ['person or owner name'] });
  expect(ours).toEqual(theirs);
});

test('IPTC whose last dataset runs past its segment: exifr names nothing there, ours names it', async () => {
  const record = iim([[80, 'Jane Doe']]);
  record[4] = 200; // declares 200 bytes, has 8
  const { ours, theirs } = await both([photoshop([[0x0404, '', record]])]);
  expectSuperset(ours!, theirs);
  expect(ours).toEqual({ iptc: ['person or owner name'] });
});

test('the scan reports the names on the XMP and IPTC findings', async () => {
  const { bytes } = await both([xmpSegment(described('photoshop:City="Leeds"')), photoshop([[0x0404, '', iim([[80, 'Jane Doe']])]])]);
  const report = await scanMetadata(bytes);
  expect(report.findings.find((f) => f.kind === 'xmp')?.detail).toMatch(/; readable: place names$/);
  expect(report.findings.find((f) => f.kind === 'iptc')?.detail).toMatch(/; readable: person or owner name$/);
});

test('xmpProperties reads a large packet in one pass (200,000 properties)', () => {
  const body = '<dc:creator>x</dc:creator>'.repeat(100_000) + '<photoshop:City a:b="c"/>'.repeat(100_000);
  const props = xmpProperties(utf8(described('', body)))!;
  expect(props).toHaveLength(200_000);
  expect(props[0]).toEqual({ prefix: 'dc', name: 'creator' });
  expect(props[199_999]).toEqual({ prefix: 'photoshop', name: 'City' });
});
