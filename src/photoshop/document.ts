import { app, constants } from 'photoshop';
import type { Document } from 'photoshop/dom/Document';
import { DeidHostError, SRGB_PROFILE, type ColorMode, type DocumentInfo } from '../actions/host';

/**
 * Whether `app.activeDocument` throws or returns null with no document open is UNCONFIRMED
 * (research/photoshop-uxp.md): check `documents.length` first, and treat a throw as "none".
 */
export function activeDocumentOrNull(): Document | null {
  if (app.documents.length === 0) return null;
  try {
    return app.activeDocument ?? null;
  } catch {
    return null;
  }
}

export function findDocument(id: number): Document {
  for (let i = 0; i < app.documents.length; i++) {
    const d = app.documents[i];
    if (d.id === id) return d;
  }
  throw new DeidHostError('no-document', 'The document was closed. Press Start again on the original photograph.');
}

/** document.md "Properties": mode (DocumentMode, 23.0); constants.md "DocumentMode". */
function modeOf(d: Document): ColorMode {
  switch (d.mode) {
    case constants.DocumentMode.RGB: return 'rgb';
    case constants.DocumentMode.GRAYSCALE: return 'gray';
    case constants.DocumentMode.INDEXEDCOLOR: return 'indexed';
    case constants.DocumentMode.CMYK: return 'cmyk';
    case constants.DocumentMode.LAB: return 'lab';
    case constants.DocumentMode.BITMAP: return 'bitmap';
    case constants.DocumentMode.DUOTONE: return 'duotone';
    case constants.DocumentMode.MULTICHANNEL: return 'multichannel';
    default: return 'other';
  }
}

/** Modes whose working copy is changed to RGB with one documented changeMode call. */
const TO_RGB: ReadonlySet<ColorMode> = new Set<ColorMode>(['gray', 'indexed', 'cmyk', 'lab']);

/**
 * Brings a document to RGB mode before anything paints on it, reads it or converts its
 * profile. document.md "changeMode" (23.0): changeMode(ChangeMode, options?) "Changes the color
 * mode of the document"; options are only for Bitmap and Indexed TARGETS (objects/
 * conversionoptions), so none are passed. What convertProfile("sRGB IEC61966-2.1") does to a
 * Grayscale document is not documented, hence the explicit mode change first. constants.md
 * "ChangeMode" documents one restriction ("Color images must be changed to GRAYSCALE mode before
 * you can change them to BITMAP mode") and nothing about leaving Bitmap, Duotone or
 * Multichannel, so those are refused with a message rather than guessed at. Checked afterwards.
 * Returns whether the mode changed.
 */
export async function toRgbMode(d: Document): Promise<boolean> {
  const mode = modeOf(d);
  if (mode === 'rgb') return false;
  if (!TO_RGB.has(mode)) {
    throw new DeidHostError('unsupported', mode === 'bitmap'
      ? 'The working copy is a Bitmap image: convert the original to Grayscale first (Image > Mode > Grayscale) and press Start again.'
      : `The working copy is in ${mode} mode, which the panel does not convert. Convert the original (Image > Mode > RGB Color) and press Start again.`);
  }
  await d.changeMode(constants.ChangeMode.RGB);
  if (d.mode !== constants.DocumentMode.RGB) {
    throw new DeidHostError('host', `Photoshop did not change the working copy to RGB (it reports mode "${String(d.mode)}").`);
  }
  return true;
}

export function bitDepthOf(d: Document): DocumentInfo['bitDepth'] {
  if (d.bitsPerChannel === constants.BitsPerChannelType.SIXTEEN) return 16;
  if (d.bitsPerChannel === constants.BitsPerChannelType.THIRTYTWO) return 32;
  return 8;
}

export function describeDocument(d: Document): DocumentInfo {
  return { id: d.id, title: d.title, width: d.width, height: d.height, bitDepth: bitDepthOf(d), mode: modeOf(d), profile: d.colorProfileName, resolution: d.resolution };
}

/**
 * Converts to sRGB IEC61966-2.1 unless the document is in it. document.md "convertProfile"
 * (23.0): (destinationProfile, intent, blackPointCompensation?, dither?); intent from
 * constants.md "Intent". Relative colorimetric with black point compensation keeps in-gamut
 * colours and maps black to black; dither is off so flat areas stay flat. An untagged document
 * reports colorProfileName "None" (document.md "Properties") and is converted from the working
 * space. Checked afterwards: a name Photoshop does not know must not pass silently.
 */
export async function convertToSrgb(d: Document): Promise<boolean> {
  const modeChanged = await toRgbMode(d);
  if (d.colorProfileName === SRGB_PROFILE) return modeChanged;
  await d.convertProfile(SRGB_PROFILE, constants.Intent.RELATIVECOLORIMETRIC, true, false);
  if (d.colorProfileName !== SRGB_PROFILE) {
    throw new DeidHostError('host', `Photoshop did not convert the working copy to ${SRGB_PROFILE} (it reports "${d.colorProfileName}").`);
  }
  return true;
}

/**
 * The open document whose file is `nativePath`, if any. document.md "Properties": path is the
 * "Full file system path to this document"; what it gives for a never-saved document is not
 * documented, so a throw counts as "not this one".
 */
export function openDocumentAt(nativePath: string): Document | null {
  const norm = (p: string): string => p.replace(/\\/g, '/').toLowerCase();
  for (let i = 0; i < app.documents.length; i++) {
    const d = app.documents[i];
    try {
      if (norm(d.path) === norm(nativePath)) return d;
    } catch {
      // No file behind this document.
    }
  }
  return null;
}

/** 8 or 16 (Imaging API component size); 32-bit documents are refused with a message. */
export function componentSizeOf(d: Document): 8 | 16 {
  const depth = bitDepthOf(d);
  if (depth === 32) throw new DeidHostError('unsupported', 'This step works on 8- and 16-bit images only. Convert the document (Image > Mode > 16 Bits/Channel).');
  return depth;
}

/** A document is flat when it has exactly one layer and it is the background. */
export function isFlat(d: Document): boolean {
  return d.layers.length === 1 && d.backgroundLayer !== null;
}

/** The single pixel layer of a flat document (flattening first when the user added layers). */
export async function flatLayerId(d: Document): Promise<number> {
  if (!isFlat(d)) await d.flatten();
  const layer = d.backgroundLayer ?? d.layers[0];
  if (!layer) throw new DeidHostError('host', 'The working copy has no pixel layer.');
  return layer.id;
}
