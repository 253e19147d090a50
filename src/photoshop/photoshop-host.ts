import { app, constants } from 'photoshop';
import type { Document } from 'photoshop/dom/Document';
import type { JPEGSaveOptions, PNGSaveOptions } from 'photoshop/dom/objects/SaveOptions';
import type { DocumentCreateOptions } from 'photoshop/dom/types/DocumentTypes';
import { clampRect, type Rect } from '../core/geometry';
import type { PixelBuffer } from '../core/pixels/types';
import { DeidHostError, SRGB_PROFILE, type DocumentInfo, type ExportFormat, type Host, type OpenedImage, type OutputFolder, type SelectionInfo } from '../actions/host';
import { activeDocumentOrNull, componentSizeOf, convertToSrgb, describeDocument, findDocument, flatLayerId, isFlat, openDocumentAt } from './document';
import * as files from './files';
import { PHOTOSHOP_16BIT_MAX, readComposite, readSelectionMask, toBounds, writeLayer } from './imaging';
import { keepIfStepSucceeds, runModal, usingTemporaryDocument } from './modal';
import { reviewerKeyFromSecureStorage } from './reviewer-key';
import type { UxpFile } from './uxp-types';

/** Highest JPEG quality in Photoshop's 0-12 scale: the export is the archival copy. */
const JPEG_QUALITY_MAX = 12;
/** zlib level for PNG; the pixels are lossless at any level. */
const PNG_COMPRESSION = 6;
const SYNTHETIC_RESOLUTION_PPI = 72;

/**
 * The DOM's save-option and Bounds parameters are declared as classes with private fields, but
 * Adobe documents (and Photoshop accepts) plain objects; these are the documented casts.
 */
function jpegOptions(): JPEGSaveOptions {
  return { quality: JPEG_QUALITY_MAX, embedColorProfile: false } as unknown as JPEGSaveOptions;
}
/**
 * objects/saveoptions/pngsaveoptions.md: compression and interlaced are "to be used when method
 * = PNGMethod.QUICK", and method has no documented default, so QUICK is named (without it both
 * could be taken from whatever the Save As dialog last used).
 */
function pngOptions(): PNGSaveOptions {
  return { method: constants.PNGMethod.QUICK, compression: PNG_COMPRESSION, interlaced: false } as unknown as PNGSaveOptions;
}
/** saveAs/open are typed with the DOM lib's `File`, but take a UXP file entry. */
function asDomFile(entry: UxpFile): File {
  return entry as unknown as File;
}

/**
 * The selection, read through the Imaging API over the whole canvas. selection.md "Properties"
 * documents `bounds` as "The bounding rectangle of the entire selection" (null when none) but not
 * its unit, nor whether pixels selected less than half (a feathered edge, outside the marching
 * ants) are inside it; reading only within it could leave part of a face unpainted. So `bounds`
 * only says whether anything is selected; what is selected comes from imaging.getSelection, whose
 * bounds are pixels (imaging.md "Terminology and data types"), over the canvas (document.md:
 * width and height "in pixels"). The selection may extend past the canvas: only canvas pixels count.
 */
async function selectionOf(d: Document): Promise<SelectionInfo | null> {
  if (!d.selection.bounds) return null;
  const read = await readSelectionMask(d.id, { x: 0, y: 0, w: d.width, h: d.height });
  if (!read) return null;
  const bounds = clampRect(read.mask.bounds, d.width, d.height);
  if (!bounds) return null;
  if (bounds.x !== read.mask.bounds.x || bounds.y !== read.mask.bounds.y || bounds.w !== read.mask.bounds.w || bounds.h !== read.mask.bounds.h) {
    throw new DeidHostError('host', 'Photoshop returned selection pixels outside the image.');
  }
  return { bounds, mask: read.rectangular ? null : read.mask };
}

/**
 * Crops to `rect` (pixels, inside the canvas) with two Canvas Size changes, because
 * document.md "resizeCanvas" (23.0) gives width and height "in pixels" while "crop" takes a
 * Bounds with no unit (objects/bounds.md), and a rectangle descriptor without units is read in
 * points at the document's resolution (AdobeDocs/uxp-photoshop-plugin-samples issue #80): on a
 * 300 ppi photograph crop(bounds) could keep 4x the area asked for. Anchored top-left, the first
 * change drops what lies right of and below `rect`; anchored bottom-right, the second drops what
 * lies left of and above it (constants.md "AnchorPosition"). Checked afterwards.
 */
async function cropToRect(d: Document, rect: Rect): Promise<void> {
  const inside = clampRect(rect, d.width, d.height);
  if (!inside || inside.x !== rect.x || inside.y !== rect.y || inside.w !== rect.w || inside.h !== rect.h || !Number.isInteger(rect.x + rect.y + rect.w + rect.h)) {
    throw new DeidHostError('host', `The crop ${rect.w}x${rect.h} at (${rect.x}, ${rect.y}) is not inside the ${d.width}x${d.height} image.`);
  }
  if (rect.x + rect.w !== d.width || rect.y + rect.h !== d.height) await d.resizeCanvas(rect.x + rect.w, rect.y + rect.h, constants.AnchorPosition.TOPLEFT);
  if (rect.x !== 0 || rect.y !== 0) await d.resizeCanvas(rect.w, rect.h, constants.AnchorPosition.BOTTOMRIGHT);
  if (d.width !== rect.w || d.height !== rect.h) {
    throw new DeidHostError('host', `Photoshop cropped to ${d.width}x${d.height}, not the ${rect.w}x${rect.h} asked for.`);
  }
}

async function exportCopy(d: Document, format: ExportFormat): Promise<Uint8Array> {
  if (!isFlat(d)) await d.flatten();
  // Photoshop's JPEG is 8-bit only; whether saveAs.jpg converts a 16-bit document silently or
  // fails is UNCONFIRMED, so the working copy is converted first (document.md "Properties":
  // bitsPerChannel R W). The conversion may dither (Color Settings "Use Dither"), so cells are
  // uniform only to +-1 afterwards: finish checks the regions BEFORE this, and the JPEG itself is
  // judged with the JPEG tolerance by review and verify.
  if (format === 'jpeg' && d.bitsPerChannel !== constants.BitsPerChannelType.EIGHT) {
    d.bitsPerChannel = constants.BitsPerChannelType.EIGHT;
  }
  const file = await files.createTemporaryFile(format === 'jpeg' ? 'jpg' : 'png');
  try {
    if (format === 'jpeg') await d.saveAs.jpg(asDomFile(file), jpegOptions(), true);
    else await d.saveAs.png(asDomFile(file), pngOptions(), true);
  } catch (e) {
    await files.readAndRemove(file).catch(() => undefined);
    throw e;
  }
  return files.readAndRemove(file);
}

/** The Host port over Photoshop: DOM + Imaging API, every state change inside runModal. */
export function createPhotoshopHost(): Host {
  return {
    async activeDocument(): Promise<DocumentInfo | null> {
      const d = activeDocumentOrNull();
      return d ? describeDocument(d) : null;
    },
    runStep(name, fn, options) {
      return runModal(name, fn, options?.historyOf);
    },
    async duplicateFlattened(sourceId, name) {
      const copy = await findDocument(sourceId).duplicate(name, true);
      // Closed without saving if the rest of the step (flatten, mode and profile conversion)
      // fails or is cancelled: no half-made working copy is left behind.
      await keepIfStepSucceeds(copy);
      if (!isFlat(copy)) await copy.flatten();
      app.activeDocument = copy;
      return describeDocument(copy);
    },
    async createSyntheticDocument(name, pixels: PixelBuffer, extra = {}) {
      const depth = pixels.maxValue === 255 ? 8 : pixels.maxValue === PHOTOSHOP_16BIT_MAX ? 16 : 0;
      if (pixels.components !== 3 || depth === 0) {
        throw new DeidHostError('unsupported', 'synthetic documents are 8- or 16-bit RGB');
      }
      // objects/createoptions/documentcreateoptions.md: depth, profile ("Color Profile using
      // profile name"), resolution.
      const options: DocumentCreateOptions = {
        name,
        width: pixels.width,
        height: pixels.height,
        resolution: extra.resolution ?? SYNTHETIC_RESOLUTION_PPI,
        mode: constants.NewDocumentMode.RGB,
        fill: constants.DocumentFill.WHITE,
        depth,
        profile: extra.profile ?? SRGB_PROFILE,
      };
      const d = await app.documents.add(options);
      if (!d) throw new DeidHostError('host', 'Photoshop did not create the test document.');
      // Closed without saving if writing the pattern fails or the user cancels; afterwards the
      // self-test closes it in its clean-up step.
      await keepIfStepSucceeds(d);
      await writeLayer(d.id, await flatLayerId(d), pixels, { x: 0, y: 0 }, 'De-identify: self-test pattern');
      return describeDocument(d);
    },
    async convertToSrgb(docId) {
      return convertToSrgb(findDocument(docId));
    },
    async selectRectangle(docId, rect) {
      await findDocument(docId).selection.selectRectangle(toBounds(rect));
    },
    // selection.md "selectEllipse" (25.0): bounds; mode REPLACE, feather 0 and antiAlias true by default.
    async selectEllipse(docId, rect) {
      await findDocument(docId).selection.selectEllipse(toBounds(rect));
    },
    async selection(docId) {
      return selectionOf(findDocument(docId));
    },
    async readPixels(docId, rect) {
      const d = findDocument(docId);
      return readComposite(docId, rect, componentSizeOf(d));
    },
    async writePixels(docId, pixels, at) {
      const d = findDocument(docId);
      await writeLayer(docId, await flatLayerId(d), pixels, at, 'De-identify: paint');
    },
    async crop(docId, rect) {
      await cropToRect(findDocument(docId), rect);
    },
    async flatten(docId) {
      const d = findDocument(docId);
      if (!isFlat(d)) await d.flatten();
    },
    async exportCopy(docId, format) {
      return exportCopy(findDocument(docId), format);
    },
    async closeWithoutSaving(docId) {
      findDocument(docId).closeWithoutSaving();
    },
    async inspectImage<T>(folder: OutputFolder, name: string, use: (image: OpenedImage) => Promise<T>): Promise<T> {
      const entry = await files.findFile(files.folderEntry(folder), name);
      if (!entry) throw new DeidHostError('no-document', `${name} is not in ${folder.name}.`);
      // A document the user already has open is read as it is and left open.
      const already = openDocumentAt(entry.nativePath);
      const read = (d: Document): Promise<T> => {
        const depth = componentSizeOf(d);
        // Only the regions asked for are read: a whole 45 MP 16-bit image is ~270 MB against
        // UXP's ~600 MB plugin memory warning (imaging.md "Performance considerations").
        return use({ width: d.width, height: d.height, readRegion: (rect) => readComposite(d.id, rect, depth) });
      };
      if (already) return read(already);
      // Opened here, so closed without saving on every path: success, error and user cancel
      // (executeasmodal.md "Automatic document closing"; document.md "closeWithoutSaving").
      const opened = await app.open(asDomFile(entry));
      return usingTemporaryDocument(opened, () => read(opened));
    },
    chooseOutputFolder: files.chooseOutputFolder,
    rememberedOutputFolder: files.rememberedOutputFolder,
    temporaryFolder: files.temporaryFolder,
    writeFilesAtomically: files.writeFilesAtomically,
    readFile: files.readFile,
    removeFile: files.removeFile,
    listFiles: files.listFiles,
    chooseFileToSave: files.chooseFileToSave,
    writeSaveTarget: files.writeSaveTarget,
    isInFolder: files.isInFolder,
    reviewerKey: reviewerKeyFromSecureStorage,
  };
}
