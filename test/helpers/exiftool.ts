/**
 * exiftool (12.57, Debian package) as the independent test oracle: run it on files, and map its
 * metadata groups (`-G1`) to our finding kinds.
 */
import { spawnSync } from 'node:child_process';
import type { FindingKind } from '../../src/core/metadata/types';

export const EXIFTOOL = '/usr/bin/exiftool';

/** One file's `exiftool -a -G1 -j` object: "Group:Tag" keys, plus SourceFile. */
export type ExiftoolRecord = Record<string, unknown> & { SourceFile: string };

/**
 * Runs `exiftool -a -G1 -j` once over many files (names passed on stdin, so any character and
 * any count works) and returns the records keyed by the path given. Files exiftool cannot read
 * still get a record (with `ExifTool:Error`).
 */
export function readExiftool(files: readonly string[]): Map<string, ExiftoolRecord> {
  const out = new Map<string, ExiftoolRecord>();
  if (files.length === 0) return out;
  const run = spawnSync(EXIFTOOL, ['-a', '-G1', '-j', '-charset', 'filename=utf8', '-@', '-'], {
    input: files.join('\n') + '\n',
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (!run.stdout.trim()) throw new Error(`exiftool printed nothing: ${run.stderr}`);
  for (const record of JSON.parse(run.stdout) as ExiftoolRecord[]) out.set(record.SourceFile, record);
  return out;
}

/** Runs exiftool with write arguments on a file in place (`-overwrite_original`); throws on failure. */
export function writeExiftool(file: string, args: readonly string[]): void {
  const run = spawnSync(EXIFTOOL, ['-overwrite_original', ...args, file], { encoding: 'utf8' });
  if (run.status !== 0 || /Nothing to do|0 image files updated/.test(run.stdout)) {
    throw new Error(`exiftool ${args.join(' ')} failed: ${run.stdout} ${run.stderr}`);
  }
}

/** Groups that never identify anyone: exiftool's own bookkeeping and the JPEG allowlist. */
/** exiftool's names for PNG IHDR fields and the allowlisted colour/structure chunks. */
const PNG_STRUCTURE_TAGS: ReadonlySet<string> = new Set([
  'ImageWidth', 'ImageHeight', 'BitDepth', 'ColorType', 'Compression', 'Filter', 'Interlace',
  'Gamma', 'SRGBRendering', 'BackgroundColor', 'SignificantBits', 'Transparency', 'Palette',
  'AnimationFrames', 'AnimationPlays',
]);

const HARMLESS_GROUPS = /^(File|System|Composite|ExifTool|JFIF|Adobe)$/;

/**
 * exiftool's names for HEIF/AVIF container structure (QuickTime and Meta groups): brands,
 * handler type, codec configuration (hvcC/av1C), ispe/pixi/irot/colr nclx, the primary item and
 * mdat position. Anything else in those groups (times, names, user data) is not structure.
 */
const BMFF_STRUCTURE_TAGS: ReadonlySet<string> = new Set([
  'MajorBrand', 'MinorVersion', 'CompatibleBrands', 'HandlerType', 'PrimaryItemReference', 'MetaImageSize',
  'MediaDataSize', 'MediaDataOffset', 'ImageSpatialExtent', 'ImagePixelDepth', 'Rotation', 'AuxiliaryImageType',
  'HEVCConfigurationVersion', 'GeneralProfileSpace', 'GeneralTierFlag', 'GeneralProfileIDC',
  'GenProfileCompatibilityFlags', 'ConstraintIndicatorFlags', 'GeneralLevelIDC', 'MinSpatialSegmentationIDC',
  'ParallelismType', 'ChromaFormat', 'BitDepthLuma', 'BitDepthChroma', 'AverageFrameRate', 'ConstantFrameRate',
  'NumTemporalLayers', 'TemporalIDNested', 'AV1ConfigurationVersion', 'ChromaSamplePosition', 'ColorProfiles',
  'ColorPrimaries', 'TransferCharacteristics', 'MatrixCoefficients', 'VideoFullRangeFlag',
]);

/** exiftool `-G1` group -> our finding kind. Order matters: first match wins. */
export const GROUP_KINDS: ReadonlyArray<readonly [RegExp, FindingKind]> = [
  [/^(IFD0|ExifIFD|SubIFD\d*|InteropIFD|PrintIM)$/, 'exif'],
  [/^GPS$/, 'gps'],
  [/^(IFD1|JFXX)$/, 'thumbnail'],
  [/^XMP(-.*)?$/, 'xmp'],
  [/^IPTC\d*$/, 'iptc'],
  [/^Photoshop$/, 'photoshop-irb'],
  [/^(ICC_Profile|ICC-.*)$/, 'icc'],
  [/^(MPF0|MPImage\d+)$/, 'mpf'],
  [/^(JUMBF|C2PA|CBOR)$/, 'c2pa'],
  [/^(Ducky|PictureInfo|FlashPix|APP\d+)$/, 'unknown-segment'],
  [/^(MakerNotes|MakerUnknown|CIFF|PreviewIFD|MetaIFD|Canon.*|Nikon.*|Olympus.*|Sony.*|Panasonic.*|FujiFilm.*|Pentax.*|Samsung.*|Kodak.*|Ricoh.*|Casio.*|Sanyo.*|Minolta.*|Apple.*|Reconyx.*|Leica.*|Sigma.*|DJI.*|GoPro.*|Google.*|HP.*|JVC.*|Kyocera.*|Motorola.*|Nintendo.*|Qualcomm.*|Microsoft.*)$/, 'makernote'],
];

/** IFD0 tags of a TIFF FILE that only describe pixel storage (exiftool names). */
export const TIFF_STRUCTURE_TAGS: ReadonlySet<string> = new Set([
  'SubfileType', 'OldSubfileType', 'ImageWidth', 'ImageHeight', 'BitsPerSample', 'Compression',
  'PhotometricInterpretation', 'Thresholding', 'CellWidth', 'CellLength', 'FillOrder', 'StripOffsets',
  'Orientation', 'SamplesPerPixel', 'RowsPerStrip', 'StripByteCounts', 'MinSampleValue', 'MaxSampleValue',
  'XResolution', 'YResolution', 'PlanarConfiguration', 'XPosition', 'YPosition', 'GrayResponseUnit',
  'GrayResponseCurve', 'T4Options', 'T6Options', 'ResolutionUnit', 'PageNumber', 'TransferFunction',
  'Predictor', 'WhitePoint', 'PrimaryChromaticities', 'ColorMap', 'HalftoneHints', 'TileWidth',
  'TileLength', 'TileOffsets', 'TileByteCounts', 'InkSet', 'NumberofInks', 'DotRange', 'ExtraSamples',
  'SampleFormat', 'SMinSampleValue', 'SMaxSampleValue', 'TransferRange', 'JPEGTables', 'YCbCrCoefficients',
  'YCbCrSubSampling', 'YCbCrPositioning', 'ReferenceBlackWhite',
]);

function groupKind(group: string): FindingKind | 'harmless' | 'unmapped' {
  if (HARMLESS_GROUPS.test(group)) return 'harmless';
  for (const [pattern, kind] of GROUP_KINDS) if (pattern.test(group)) return kind;
  return 'unmapped';
}

/**
 * The finding kinds an exiftool record implies. For a TIFF file, IFD0 image-structure tags are
 * not metadata; for any format, IFD0:Orientation alone is the kept minimal EXIF. A group this map
 * does not know is returned in `unmapped`, so a test can fail on it instead of ignoring it.
 */
export function kindsImpliedByExiftool(record: ExiftoolRecord, format: 'jpeg' | 'tiff'): { kinds: Set<FindingKind>; unmapped: string[] } {
  const kinds = new Set<FindingKind>();
  const unmapped: string[] = [];
  for (const key of Object.keys(record)) {
    const colon = key.indexOf(':');
    if (colon < 0) continue;
    const group = key.slice(0, colon);
    const tag = key.slice(colon + 1);
    if (key === 'File:Comment') {
      kinds.add('comment');
      continue;
    }
    if (group === 'IFD0' && (tag === 'Orientation' || (format === 'tiff' && TIFF_STRUCTURE_TAGS.has(tag)))) continue;
    const kind = groupKind(group);
    if (kind === 'unmapped') unmapped.push(key);
    else if (kind !== 'harmless') kinds.add(kind);
  }
  return { kinds, unmapped };
}

/** ICC tags that only describe colour (exiftool names; ICC.1 9.2 colorimetric tags and header structure). */
const ICC_COLOUR_TAGS: ReadonlySet<string> = new Set([
  'ProfileVersion', 'ProfileClass', 'ColorSpaceData', 'ProfileConnectionSpace', 'ProfileFileSignature',
  'RenderingIntent', 'ConnectionSpaceIlluminant', 'MediaWhitePoint', 'MediaBlackPoint', 'RedMatrixColumn',
  'GreenMatrixColumn', 'BlueMatrixColumn', 'RedTRC', 'GreenTRC', 'BlueTRC', 'GrayTRC', 'ChromaticAdaptation',
]);
/** The descriptions and copyright deid writes into canonical and rebuilt profiles (icc-canonical.ts, icc.ts). */
const ICC_NEUTRAL_TEXT = /^(sRGB IEC61966-2\.1|Display P3|Adobe RGB \(1998\) compatible|ProPhoto RGB \(ROMM\)|Gray gamma 2\.2|Gray sRGB tone curve|RGB profile|Gray profile|No copyright, use freely)$/;
/** Header identity fields as exiftool prints them when they are zero. */
const ICC_ZERO = /^(|0|Unknown \(\)|0000:00:00 00:00:00|Reflective, Glossy, Positive, Color|Not Embedded, Independent)$/;

/** An ICC key that names, dates or describes something (a clean kept profile has none). */
function iccKeyIdentifies(tag: string, value: unknown): boolean {
  if (ICC_COLOUR_TAGS.has(tag)) return false;
  if (tag === 'ProfileDescription' || tag === 'ProfileCopyright') return !ICC_NEUTRAL_TEXT.test(String(value));
  if (/^(ProfileCMMType|PrimaryPlatform|CMMFlags|DeviceManufacturer|DeviceModel|DeviceAttributes|ProfileCreator|ProfileID|ProfileDateTime)$/.test(tag)) {
    return !ICC_ZERO.test(String(value));
  }
  return true;
}

/** Keys of a record that should not survive a strip (everything but harmless groups and Orientation). */
export function identifyingKeysLeft(record: ExiftoolRecord): string[] {
  return Object.keys(record).filter((key) => {
    const colon = key.indexOf(':');
    if (colon < 0) return false;
    const group = key.slice(0, colon);
    // A kept clean profile (canonical or rebuilt) holds colour only.
    if (/^(ICC_Profile|ICC-header)$/.test(group)) return iccKeyIdentifies(key.slice(colon + 1), record[key]);
    // The one profile name deid writes into iCCP (png-icc.ts).
    if (key === 'PNG:ProfileName') return record[key] !== 'ICC Profile';
    if (key === 'File:Comment') return true;
    if (key === 'IFD0:Orientation') return false;
    // A TIFF file's page directories hold its image structure (exiftool names the one strip of
    // a JPEG-compressed page PreviewImage).
    if (record['File:FileType'] === 'TIFF' && /^IFD\d+$/.test(group)) {
      const tag = key.slice(colon + 1);
      return !(TIFF_STRUCTURE_TAGS.has(tag) || (/^PreviewImage(Start|Length)?$/.test(tag) && record[`${group}:Compression`] === 'JPEG'));
    }
    // PNG's own structure (IHDR fields and the allowlisted colour chunks) names nothing.
    if (group === 'PNG') return !PNG_STRUCTURE_TAGS.has(key.slice(colon + 1));
    if (/^PNG-(pHYs|cHRM)$/.test(group)) return false;
    if (group === 'QuickTime' || group === 'Meta') return !BMFF_STRUCTURE_TAGS.has(key.slice(colon + 1));
    // JFIF thumbnails surface as JFIF:ThumbnailImage/ThumbnailTIFF.
    if (group === 'JFIF') return /^Thumbnail(Image|TIFF)$/.test(key.slice(colon + 1));
    return !HARMLESS_GROUPS.test(group);
  });
}
