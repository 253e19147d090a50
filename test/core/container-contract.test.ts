/**
 * The ContainerFormat contract (src/core/metadata/types.ts), checked once for every entry of
 * CONTAINERS, in the spirit of file-type's one loop over every detector: detect never throws and
 * claims only its own formats; walk and strip return or throw DeidError on random and damaged
 * bytes; a strip that returns gives a clean, idempotent file. A format added to the registry
 * without seeds here fails the first test.
 */
import { promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { CONTAINERS } from '../../src/core/metadata/registry';
import type { ContainerFormat } from '../../src/core/metadata/types';
import { box, buildHeif, exifItem, ftyp, insertPngChunks, insertWebpChunks, latin1, pngChunk, riffChunk, uuidBox } from '../helpers/chunks';
import { findingsOf, expectIdempotent, mutateAll, mutationArbitrary, returnsOrDeidError, stripOf } from '../helpers/container';
import { CORPUS } from '../helpers/paths';
import { concatBytes, noiseRgb, plantPointers, plantWithExiftool, TIFF_TYPE, writeGreyTiff, writeTiff } from '../helpers/plant';

const RUNS = 200;
/** Each outcome of a mutation property must occur at least this often in RUNS runs. */
const MIN_OUTCOME = 20;
const C2PA_UUID = 'd8fec3d61b0e483c92975828877c4c4d';

/** How the registry names a container here: its formats, e.g. "heif/avif". */
function nameOf(container: ContainerFormat): string {
  return container.formats.join('/');
}

/** A small noisy image encoded by sharp (a "valid sample" no test wrote by hand). */
function sharpImage(width: number, height: number, seed = 1): sharp.Sharp {
  return sharp(noiseRgb(width, height, seed), { raw: { width, height, channels: 3 } });
}

function bytesOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer);
}

async function readCorpus(relative: string, limit = Infinity): Promise<Uint8Array> {
  const bytes = new Uint8Array(await fs.readFile(path.join(CORPUS, relative)));
  return bytes.subarray(0, Math.min(limit, bytes.length));
}

/** Everything the loop needs to know about one container. */
interface ContractCase {
  /** A clean file made with sharp: detect must claim it, every other container must not. */
  sample: () => Promise<Uint8Array>;
  /** Seeds for the mutation property: the sample plus files that carry metadata. */
  seeds: (sample: Uint8Array) => Promise<Uint8Array[]>;
  /** Magic numbers random tails are put behind, so the walk gets past detection. */
  header: fc.Arbitrary<Uint8Array>;
}

const CASES: Record<string, ContractCase> = {
  jpeg: {
    sample: async () => bytesOf(await sharpImage(24, 16).jpeg({ quality: 85 }).toBuffer()),
    seeds: async (sample) => {
      const rich = await plantWithExiftool(sample, ['-Comment=c', '-GPSLatitude=1', '-GPSLatitudeRef=N', '-Orientation#=6', '-XMP:Creator=x', '-IPTC:By-line=y']);
      const corpus = ['Canon_40D.jpg', 'xmp/BlueSquare.jpg', 'orientation/landscape_6.jpg', 'tests/45-gps_ifd.jpg'];
      return [sample, rich, ...(await Promise.all(corpus.map((f) => readCorpus(path.join('jpg', f)))))];
    },
    header: fc.constant(new Uint8Array([0xff, 0xd8, 0xff])),
  },
  png: {
    sample: async () => bytesOf(await sharpImage(12, 8, 5).png().toBuffer()),
    seeds: async (sample) => {
      const rich = await plantWithExiftool(sample, ['-PNG:Author=a', '-XMP:Creator=x', '-GPSLatitude=1', '-GPSLatitudeRef=N', '-PNG:ModifyDate=2020:01:02 03:04:05'], '.png');
      const hand = concatBytes(insertPngChunks(sample, [pngChunk('prIV', 'abc'), pngChunk('zTXt', 'k\0\0xyz'), pngChunk('caBX', 'jumb')]), latin1('tail'));
      // Mostly metadata by size, so many mutations land in chunks strip drops (and strip returns).
      const bulky = insertPngChunks(sample, [pngChunk('tEXt', `Comment\0${'x'.repeat(3000)}`), pngChunk('prIV', new Uint8Array(2000))]);
      return [sample, rich, hand, bulky, bulky];
    },
    header: fc.constant(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  webp: {
    sample: async () => bytesOf(await sharpImage(12, 8, 5).webp({ lossless: true }).toBuffer()),
    seeds: async (sample) => {
      const rich = bytesOf(await sharp(Buffer.from(sample)).withExif({ IFD0: { Artist: 'a' } }).withIccProfile('p3').webp({ lossless: true }).toBuffer());
      const bulky = concatBytes(insertWebpChunks(rich, [riffChunk('ZZZZ', new Uint8Array(1501)), riffChunk('XMP ', 'x'.repeat(2000))]), latin1('tail'));
      return [sample, rich, bulky, bulky];
    },
    // Any RIFF size, right or wrong, in front of the random chunks.
    header: fc.integer({ min: 0, max: 300 }).map((size) => concatBytes(latin1('RIFF'), new Uint8Array([size & 0xff, size >> 8, 0, 0]), latin1('WEBP'))),
  },
  tiff: {
    sample: async () => bytesOf(await sharpImage(16, 12).tiff().toBuffer()),
    seeds: async (sample) => {
      const firstCorpusTiff = readdirSync(path.join(CORPUS, 'tiff')).filter((n) => /\.tiff?$/i.test(n)).sort()[0];
      // Pointer IFDs that point at each other: the cycle guard is exercised by flips too.
      const cycle = writeTiff([
        { entries: [{ tag: 0x8769, type: TIFF_TYPE.LONG, value: { ifds: [1] } }], next: 1 },
        { entries: [{ tag: 0x8825, type: TIFF_TYPE.LONG, value: { ifds: [0] } }] },
      ]);
      return [sample, plantPointers(), writeGreyTiff([], { pages: 2 }), cycle, await readCorpus(path.join('tiff', firstCorpusTiff), 4096)];
    },
    header: fc.constantFrom(new Uint8Array([0x49, 0x49, 42, 0]), new Uint8Array([0x4d, 0x4d, 0, 42])),
  },
  'heif/avif': {
    sample: async () => bytesOf(await sharpImage(8, 8).avif().toBuffer()),
    seeds: async (sample) => {
      const rich = bytesOf(await sharpImage(8, 8).withExif({ IFD0: { Artist: 'a' } }).withIccProfile('p3').avif().toBuffer());
      // IFD0 Artist and a GPS IFD, carried as an Exif item.
      const tiff = writeTiff([
        { entries: [{ tag: 0x013b, type: TIFF_TYPE.ASCII, value: 'SecretArtist' }, { tag: 0x8825, type: TIFF_TYPE.LONG, value: { ifds: [1] } }] },
        { entries: [{ tag: 0x0001, type: TIFF_TYPE.ASCII, value: 'N' }, { tag: 0x0002, type: TIFF_TYPE.RATIONAL, value: [51, 30, 0] }] },
      ]);
      const hand = buildHeif({
        items: [{ id: 1, type: 'av01', data: new Uint8Array(64) }, { id: 2, type: 'Exif', data: exifItem(tiff) }, { id: 3, type: 'mime', contentType: 'application/rdf+xml', data: latin1('<x/>'), inIdat: true }],
        refs: [{ type: 'cdsc', from: 2, to: [1] }],
        brand: 'avif',
        compatible: ['mif1', 'avif'],
        tail: [uuidBox(C2PA_UUID, latin1('jumb')), box('moov', box('trak', box('udta')))],
      });
      return [sample, rich, hand, await readCorpus('heic/samplefilehub.heif', 4096)];
    },
    header: fc.constantFrom('heic', 'avif', 'mif1').map((brand) => ftyp(brand, ['mif1'])),
  },
};

/** Inputs no container should choke on: raw noise, or noise behind any container's magic. */
const anyHeader = fc.oneof(...Object.values(CASES).map((c) => c.header), fc.constant(new Uint8Array(0)));
const randomInput = fc.tuple(anyHeader, fc.uint8Array({ maxLength: 400 })).map(([head, tail]) => concatBytes(head, tail));

const samples = new Map<ContainerFormat, Uint8Array>();
const seeds = new Map<ContainerFormat, Uint8Array[]>();

beforeAll(async () => {
  for (const container of CONTAINERS) {
    const contract = CASES[nameOf(container)];
    if (!contract) continue;
    const sample = await contract.sample();
    samples.set(container, sample);
    seeds.set(container, await contract.seeds(sample));
  }
});

test('every registered container has a contract case (and nothing else does)', () => {
  expect(CONTAINERS.map(nameOf).sort()).toEqual(Object.keys(CASES).sort());
});

test('detect claims each sharp-made sample for its own container only', () => {
  for (const owner of CONTAINERS) {
    const sample = samples.get(owner) as Uint8Array;
    for (const container of CONTAINERS) {
      const claimed = container.detect(sample);
      if (container === owner) expect({ owner: nameOf(owner), claimed: owner.formats.includes(claimed as never) }).toEqual({ owner: nameOf(owner), claimed: true });
      else expect({ owner: nameOf(owner), by: nameOf(container), claimed }).toEqual({ owner: nameOf(owner), by: nameOf(container), claimed: null });
    }
  }
});

test('detect never throws, answers only its own formats, and at most one container claims any bytes', () => {
  const allSeeds = [...seeds.values()].flat();
  const input = fc.oneof(
    randomInput,
    fc.tuple(fc.nat(), fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 })).map(([pick, ms]) => mutateAll(allSeeds, pick, ms)),
  );
  fc.assert(
    fc.property(input, (bytes) => {
      const claims = CONTAINERS.flatMap((container) => {
        const format = container.detect(bytes);
        if (format !== null) expect(container.formats).toContain(format);
        return format === null ? [] : [nameOf(container)];
      });
      expect(claims.length).toBeLessThanOrEqual(1);
    }),
    { numRuns: RUNS * 2 },
  );
});

describe.each(CONTAINERS.map((c) => [nameOf(c), c] as const))('%s container contract', (_name, container) => {
  const hasStrip = container.strip !== undefined;

  test('random bytes (bare or behind any magic): walk and strip return or throw DeidError', () => {
    fc.assert(
      fc.property(randomInput, (bytes) => {
        returnsOrDeidError(() => container.walk(bytes));
        if (hasStrip) returnsOrDeidError(() => stripOf(container)(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  test('the sharp-made sample walks without error', () => {
    expect(() => container.walk(samples.get(container) as Uint8Array)).not.toThrow();
  });

  if (hasStrip) {
    test('the sharp-made sample strips to a clean file that strips to itself', () => {
      const once = stripOf(container)(samples.get(container) as Uint8Array).bytes;
      expect(findingsOf(container.walk(once))).toEqual([]);
      expectIdempotent(container, once);
    });

    test('mutated files: DeidError, or a strip that is clean and idempotent; both happen', () => {
      const outcomes = { returned: 0, refused: 0 };
      const own = seeds.get(container) as Uint8Array[];
      fc.assert(
        fc.property(fc.nat(), fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }), (pick, mutations) => {
          const bytes = mutateAll(own, pick, mutations);
          expect(() => container.detect(bytes)).not.toThrow();
          returnsOrDeidError(() => container.walk(bytes));
          let once: Uint8Array | undefined;
          outcomes[returnsOrDeidError(() => (once = stripOf(container)(bytes).bytes))]++;
          if (once === undefined) return;
          expect(findingsOf(container.walk(once))).toEqual([]);
          expectIdempotent(container, once);
        }),
        { numRuns: RUNS },
      );
      // Both outcomes must occur, or the property was not exercising strip at all.
      expect(outcomes.returned).toBeGreaterThan(MIN_OUTCOME);
      expect(outcomes.refused).toBeGreaterThan(MIN_OUTCOME);
    });
  } else {
    test('mutated files: the walk returns or throws DeidError; both happen', () => {
      const outcomes = { returned: 0, refused: 0 };
      const own = seeds.get(container) as Uint8Array[];
      fc.assert(
        fc.property(fc.nat(), fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }), (pick, mutations) => {
          const bytes = mutateAll(own, pick, mutations);
          expect(() => container.detect(bytes)).not.toThrow();
          outcomes[returnsOrDeidError(() => container.walk(bytes))]++;
        }),
        { numRuns: RUNS },
      );
      expect(outcomes.returned).toBeGreaterThan(MIN_OUTCOME);
      expect(outcomes.refused).toBeGreaterThan(MIN_OUTCOME);
    });
  }
});
