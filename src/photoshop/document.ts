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

function modeOf(d: Document): ColorMode {
  if (d.mode === constants.DocumentMode.RGB) return 'rgb';
  if (d.mode === constants.DocumentMode.GRAYSCALE) return 'gray';
  return 'other';
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
  if (d.colorProfileName === SRGB_PROFILE) return false;
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
