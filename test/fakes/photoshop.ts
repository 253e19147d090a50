/**
 * A faithful fake of the `photoshop` module for the adapter's tests: documents with real pixel
 * buffers and layers, the Imaging API's semantics, modal-scope enforcement with Photoshop's
 * own error text, history suspension with rollback, and saveAs that writes REAL files carrying
 * the metadata Photoshop writes. Anything not modelled throws "fake photoshop: X not
 * implemented" (see strict.ts). Test controls live in `fakePhotoshop`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { photoshopCore, ExecutionContext, HistoryStateInfo, ResumeHistorySuspensionOptions, HistorySuspension } from 'photoshop/dom/CoreModules';
import type { imaging as ImagingNS } from 'photoshop/dom/ImagingModule';
import type { PixelBuffer } from '../../src/core/pixels/types';
import { strict } from './strict';

const EXIFTOOL = '/usr/bin/exiftool';
const PS16_MAX = 32768;
const BUSY_NUMBER = 9;

// ---- constants (the string values of @types/photoshop's enums) ----
export const constants = strict(
  {
    // constants.md "DocumentMode" and "ChangeMode" (string values as in @types/photoshop).
    DocumentMode: { BITMAP: 'bitmapMode', CMYK: 'CMYKColorMode', DUOTONE: 'duotoneMode', GRAYSCALE: 'grayscaleMode', INDEXEDCOLOR: 'indexedColorMode', LAB: 'labColorMode', MULTICHANNEL: 'multichannelMode', RGB: 'RGBColorMode' },
    ChangeMode: { BITMAP: 'bitmapMode', CMYK: 'CMYKColorMode', GRAYSCALE: 'grayscaleMode', INDEXEDCOLOR: 'indexedColorMode', LAB: 'labColorMode', MULTICHANNEL: 'multichannelMode', RGB: 'RGBColorMode' },
    BitsPerChannelType: { ONE: 'bitDepth1', EIGHT: 'bitDepth8', SIXTEEN: 'bitDepth16', THIRTYTWO: 'bitDepth32' },
    NewDocumentMode: { RGB: 'RGBColorMode', GRAYSCALE: 'grayscaleMode' },
    DocumentFill: { WHITE: 'white', BLACK: 'black', TRANSPARENT: 'transparent' },
    Intent: { ABSOLUTECOLORIMETRIC: 'absColorimetric', PERCEPTUAL: 'image', RELATIVECOLORIMETRIC: 'colorimetric', SATURATION: 'graphics' },
    ColorProfileType: { CUSTOM: 'customEnum', NONE: 'none', WORKING: 'working' },
    AnchorPosition: { BOTTOMCENTER: 'bottom-center', BOTTOMLEFT: 'bottom-left', BOTTOMRIGHT: 'bottom-right', MIDDLECENTER: 'middle-center', MIDDLELEFT: 'middle-left', MIDDLERIGHT: 'middle-right', TOPCENTER: 'top-center', TOPLEFT: 'top-left', TOPRIGHT: 'top-right' },
    PNGMethod: { QUICK: 'quick', MODERATE: 'moderate', THOROUGH: 'thorough' },
  },
  'constants',
);

// ---- state ----
interface ModalScope {
  ctx: ExecutionContext;
  cancelled: boolean;
  suspensions: Map<number, { doc: FakeDocument; snapshot: Snapshot; name: string; revision: number }>;
  /** executeasmodal.md "Automatic document closing": ids registered to close when the scope ends. */
  autoClose: Set<number>;
}

const state = {
  docs: [] as FakeDocument[],
  active: null as FakeDocument | null,
  modal: null as ModalScope | null,
  heldByOther: false,
  cancelOnProgress: false,
  ignorePutPixels: false,
  /** Injected faults (a Photoshop that behaves otherwise than documented, or an adapter bug). */
  faults: { forceReplace: undefined as boolean | undefined, dropChunky: false, bgr: false },
  nextId: 1,
  nextSuspension: 1,
  liveImageData: new Set<FakeImageData>(),
  progress: [] as number[],
  /** The user presses Cancel when this Photoshop event is next asked for (see userCancelsAt). */
  cancelAt: null as string | null,
  autoClosed: 0,
  closedWhileRegistered: 0,
  /** The timeOut (seconds) of every executeAsModal call. */
  modalWaits: [] as number[],
};

/** Test control: the user presses Cancel just as the adapter asks for `what` (an event name). */
function userMayCancel(what: string): void {
  if (state.modal && state.cancelAt === what) {
    state.cancelAt = null;
    state.modal.cancelled = true;
  }
}

function requireModal(what: string): void {
  userMayCancel(what);
  if (!state.modal) {
    throw new Error(`Event: ${what} may modify the state of Photoshop. Such events are only allowed from inside a modal scope`);
  }
  requireNotCancelled();
}

/**
 * executeasmodal.md "User cancellation": "Photoshop APIs such as `batchPlay` will raise an
 * exception if they are invoked from a target function after the user has cancelled the
 * interaction", and "Automatic document closing": "When the user cancels a modal scope, then
 * JavaScript cannot make any further document changes until it returns from the modal scope."
 * SILENT on which APIs count: the fake makes EVERY Photoshop call raise after a cancel, reads
 * (getPixels, getSelection, createImageDataFromBuffer, getData) and history control
 * (suspendHistory, resumeHistory: rolling back is a document change) included. Only
 * `dispose` (release memory) still works.
 */
function requireNotCancelled(): void {
  if (state.modal?.cancelled) throw new Error('User cancelled the operation');
}

function notAvailable(command: string): Error {
  return Object.assign(new Error(`The command “${command}” is not currently available.`), { number: -25920 });
}

// ---- pixels ----
function allocate(width: number, height: number, components: number, depth: 8 | 16): Uint8Array | Uint16Array {
  return depth === 16 ? new Uint16Array(width * height * components) : new Uint8Array(width * height * components);
}

function maxOf(depth: 8 | 16): number {
  return depth === 16 ? PS16_MAX : 255;
}

interface Snapshot {
  width: number;
  height: number;
  depth: 8 | 16;
  layers: Array<{ id: number; name: string; background: boolean; data: Uint8Array | Uint16Array; components: LayerComponents }>;
  selection: Uint8Array | null;
  history: string[];
  profile: string;
  mode: string;
}

/**
 * Values per pixel of a layer. RGB: 3 for the Background, 4 (with alpha) otherwise. A document
 * in another mode is modelled only flat (a Background alone), with the mode's own channels:
 * imaging.md "Terminology and data types": "An opaque gray scale pixel has one component";
 * Lab 3 (L, a, b; "Lab data uses the "Lab D50" color profile"); CMYK 4; Bitmap, Duotone and
 * Multichannel (one ink/channel here) 1. Indexed Color keeps each pixel's palette colour as
 * RGB (3), the palette itself not being modelled.
 */
type LayerComponents = 1 | 3 | 4;
const MODE_CHANNELS: Record<string, LayerComponents> = {
  bitmapMode: 1, CMYKColorMode: 4, duotoneMode: 1, grayscaleMode: 1, indexedColorMode: 3, labColorMode: 3, multichannelMode: 1, RGBColorMode: 3,
};

class FakeLayer {
  readonly typename = 'Layer';
  constructor(
    readonly id: number,
    public name: string,
    readonly isBackgroundLayer: boolean,
    /** Full-canvas chunky values: RGB 3 for the background, 4 (with alpha) otherwise; see LayerComponents. */
    public data: Uint8Array | Uint16Array,
    readonly components: LayerComponents,
  ) {}
  get kind(): string {
    return 'pixel';
  }
}

/** Photoshop draws the marching ants where a pixel is at least half selected. */
const MARCHING_ANTS = 128;

class FakeSelection {
  readonly typename = 'Selection';
  private maskValues: Uint8Array | null = null;
  /**
   * selection.md "Properties": bounds "can exceed the bounds of the canvas". The rectangle a
   * marquee was drawn with, when it reaches past the canvas (the mask itself stops at the edge).
   */
  private drawn: { left: number; top: number; right: number; bottom: number } | null = null;
  constructor(private readonly doc: FakeDocument) {}
  /** Full-canvas 8-bit mask, or null when nothing is selected. */
  get mask(): Uint8Array | null {
    return this.maskValues;
  }
  set mask(m: Uint8Array | null) {
    this.maskValues = m;
    this.drawn = null;
  }
  /**
   * selection.md "Properties": bounds, "The bounding rectangle of the entire selection" (25.0),
   * null when nothing is selected. SILENT on pixels selected less than half (a feathered or
   * anti-aliased edge, outside the marching ants): the fake leaves them OUT of the rectangle,
   * so code that reads the selection only inside `bounds` misses them. Also SILENT on the unit
   * (pixels here, as the page's own selectRectangle/bounds example round-trips).
   */
  get bounds(): { left: number; top: number; right: number; bottom: number } | null {
    const m = this.mask;
    if (!m) return null;
    if (this.drawn) return { ...this.drawn };
    const { width, height } = this.doc;
    let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
    let any = false;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      if (m[y * width + x] === 0) continue;
      any = true;
      if (m[y * width + x] < MARCHING_ANTS) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    if (!any) return null;
    // Only faintly selected pixels: a rectangle of none of them would be a lie; give one pixel.
    if (x1 < 0) {
      const i = m.findIndex((v) => v > 0);
      return { left: i % width, top: Math.floor(i / width), right: (i % width) + 1, bottom: Math.floor(i / width) + 1 };
    }
    return { left: x0, top: y0, right: x1 + 1, bottom: y1 + 1 };
  }
  /** The box of every pixel selected at all (what getSelection can trim to), or null. */
  anyBox(): { left: number; top: number; right: number; bottom: number } | null {
    const m = this.mask;
    if (!m) return null;
    const { width, height } = this.doc;
    let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      if (m[y * width + x] === 0) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    return x1 < 0 ? null : { left: x0, top: y0, right: x1 + 1, bottom: y1 + 1 };
  }
  get solid(): boolean {
    const b = this.bounds;
    if (!b || !this.mask) return false;
    const { width, height } = this.doc;
    for (let y = Math.max(0, b.top); y < Math.min(height, b.bottom); y++) for (let x = Math.max(0, b.left); x < Math.min(width, b.right); x++) if (this.mask[y * width + x] !== 255) return false;
    return true;
  }
  async selectRectangle(b: { left: number; top: number; right: number; bottom: number }): Promise<void> {
    requireModal('select');
    this.setRect(b);
  }
  async deselect(): Promise<void> {
    requireModal('set');
    this.mask = null;
  }
  /**
   * selection.md "selectEllipse" (25.0): bounds {top, left, bottom, right}; mode default
   * REPLACE; feather 0; antiAlias default true, which gives partly selected edge pixels
   * (modelled as 4x4 coverage).
   */
  async selectEllipse(b: { left: number; top: number; right: number; bottom: number }, mode?: string, feather = 0, antiAlias = true): Promise<void> {
    requireModal('set');
    if (mode !== undefined && mode !== 'replace') throw new Error('fake photoshop: selectEllipse modes other than REPLACE not implemented');
    if (feather !== 0) throw new Error('fake photoshop: feathered selections not implemented');
    const { width, height } = this.doc;
    const cx = (b.left + b.right) / 2, cy = (b.top + b.bottom) / 2, rx = (b.right - b.left) / 2, ry = (b.bottom - b.top) / 2;
    const samples = antiAlias ? 4 : 1;
    const m = new Uint8Array(width * height);
    for (let y = Math.max(0, b.top); y < Math.min(height, b.bottom); y++) for (let x = Math.max(0, b.left); x < Math.min(width, b.right); x++) {
      let inside = 0;
      for (let sy = 0; sy < samples; sy++) for (let sx = 0; sx < samples; sx++) {
        const px = x + (sx + 0.5) / samples, py = y + (sy + 0.5) / samples;
        if (((px - cx) / rx) ** 2 + ((py - cy) / ry) ** 2 <= 1) inside++;
      }
      m[y * width + x] = Math.round((inside * 255) / (samples * samples));
    }
    this.mask = m;
  }
  setRect(b: { left: number; top: number; right: number; bottom: number }): void {
    const { width, height } = this.doc;
    const m = new Uint8Array(width * height);
    for (let y = Math.max(0, b.top); y < Math.min(height, b.bottom); y++) m.fill(255, y * width + Math.max(0, b.left), y * width + Math.min(width, b.right));
    this.mask = m;
    const past = b.left < 0 || b.top < 0 || b.right > width || b.bottom > height;
    const onCanvas = b.right > 0 && b.bottom > 0 && b.left < width && b.top < height;
    if (past && onCanvas) this.drawn = { left: b.left, top: b.top, right: b.right, bottom: b.bottom };
  }
}

class FakeDocument {
  readonly typename = 'Document';
  readonly id: number;
  title: string;
  width: number;
  height: number;
  /** document.md "Properties": mode, "The color mode. To change it, please use Document.changeMode" (read-only). */
  mode: string = constants.DocumentMode.RGB;
  depth: 8 | 16;
  /** ICC profile name; '' = no profile (document.md: colorProfileName "returns None otherwise"). */
  profile: string;
  /** document.md "Properties": resolution, pixels per inch. */
  readonly resolution: number;
  /** The file behind the document, if any. */
  filePath: string | null = null;
  layersList: FakeLayer[];
  readonly selection: FakeSelection;
  /** History state names, oldest first. */
  readonly history: string[] = ['Open'];
  /** Counts changes, suspended or not. */
  revision = 0;
  /** The camera file whose tags Photoshop carries into saved files (EXIF, GPS). */
  metadataSource: string | null;
  readonly documentId: string;
  readonly ancestors: string[];
  readonly saveAs: { jpg: FakeDocument['saveJpg']; png: FakeDocument['savePng'] };

  constructor(init: { title: string; width: number; height: number; depth: 8 | 16; layers: FakeLayer[]; metadataSource: string | null; ancestors?: string[]; profile?: string; resolution?: number }) {
    this.id = state.nextId++;
    this.profile = init.profile ?? SRGB;
    this.resolution = init.resolution ?? 72;
    this.title = init.title;
    this.width = init.width;
    this.height = init.height;
    this.depth = init.depth;
    this.layersList = init.layers;
    this.metadataSource = init.metadataSource;
    this.documentId = `xmp.did:${(this.id * 2654435761).toString(16).padStart(8, '0')}-fake`;
    this.ancestors = init.ancestors ?? [];
    this.selection = strict(new FakeSelection(this), 'Selection');
    this.saveAs = strict({ jpg: this.saveJpg.bind(this), png: this.savePng.bind(this) }, 'Document.saveAs');
    return strict(this, 'Document');
  }

  get name(): string {
    return this.title;
  }
  /**
   * document.md "Properties": path, "Full file system path to this document". SILENT on a
   * document with no file: the fake throws.
   */
  get path(): string {
    if (this.filePath === null) throw new Error('The document has not been saved');
    return this.filePath;
  }
  /** document.md "Properties": "Valid only when colorProfileType is CUSTOM or WORKING, returns "None" otherwise". */
  get colorProfileName(): string {
    return this.profile === '' ? 'None' : this.profile;
  }
  get colorProfileType(): string {
    return this.profile === '' ? constants.ColorProfileType.NONE : this.profile === SRGB ? constants.ColorProfileType.WORKING : constants.ColorProfileType.CUSTOM;
  }
  /**
   * document.md "convertProfile" (23.0): (destinationProfile, intent, blackPointCompensation?,
   * dither?). Converts the pixels of every layer between the RGB matrix profiles the fake knows
   * (an unknown name throws). SILENT on the dither default: the fake dithers unless told
   * `false`, which makes flat areas noisy.
   */
  async convertProfile(destinationProfile: string, intent: string, blackPointCompensation?: boolean, dither?: boolean): Promise<void> {
    requireModal('convertToProfile');
    // SILENT on converting a document of another mode to an RGB profile (whether it changes the
    // mode, assigns, or fails): the fake refuses, so the mode must be changed first (changeMode).
    if (this.mode !== constants.DocumentMode.RGB) throw new Error(`fake photoshop: convertProfile on a ${this.mode} document is undocumented (use changeMode first)`);
    if (!Object.values(constants.Intent).includes(intent)) throw new Error(`convertProfile: unknown intent ${intent}`);
    const to = destinationProfile === 'Working RGB' ? SRGB : destinationProfile;
    const from = this.profile === '' ? SRGB : this.profile;
    const convert = rgbConversion(from, to);
    const max = maxOf(this.depth);
    for (const l of this.layersList) {
      for (let p = 0; p < l.data.length; p += l.components) {
        const out = convert([l.data[p] / max, l.data[p + 1] / max, l.data[p + 2] / max]);
        for (let c = 0; c < 3; c++) {
          const noise = dither === false || this.depth !== 8 ? 0 : ((p + c) % 3) - 1;
          l.data[p + c] = Math.min(max, Math.max(0, Math.round(out[c] * max) + noise));
        }
      }
    }
    void blackPointCompensation;
    this.profile = to;
    this.record('Convert to Profile');
  }
  /**
   * document.md "changeMode" (23.0): (mode: ChangeMode, options?: BitmapConversionOptions |
   * IndexedConversionOptions), "Changes the color mode of the document". constants.md
   * "ChangeMode": "Color images must be changed to GRAYSCALE mode before you can change them to
   * BITMAP mode". Only conversions TO RGB are modelled, from a flat document. SILENT on:
   *  - the mode it already has: the fake fails as an unavailable menu command;
   *  - Bitmap, Duotone and Multichannel to RGB: the fake fails (Photoshop's own Mode menu
   *    offers only Grayscale from Bitmap; the note above is the only documented restriction);
   *  - the profile afterwards: the working RGB (sRGB in the fake, as for untagged files);
   *  - the numbers: Gray (gamma 2.2) and Lab (D50, Bradford to D65) convert colorimetrically,
   *    CMYK naively (R = (1 - C)(1 - K) ...), Indexed keeps its palette colours.
   */
  async changeMode(mode: string, options?: object): Promise<void> {
    requireModal('convertMode');
    if (!Object.values(constants.ChangeMode).includes(mode)) throw new Error(`changeMode: unknown mode ${mode}`);
    if (options !== undefined) throw new Error('fake photoshop: changeMode options not implemented');
    if (mode === this.mode) throw notAvailable(`${mode}`);
    if (mode === constants.ChangeMode.BITMAP && this.mode !== constants.DocumentMode.GRAYSCALE) {
      throw new Error('Color images must be changed to GRAYSCALE mode before you can change them to BITMAP mode');
    }
    if (mode !== constants.ChangeMode.RGB) throw new Error(`fake photoshop: changeMode to ${mode} not implemented`);
    if (this.mode === constants.DocumentMode.BITMAP || this.mode === constants.DocumentMode.DUOTONE || this.mode === constants.DocumentMode.MULTICHANNEL) throw notAvailable('RGB Color');
    const bg = this.backgroundLayer;
    if (!bg || this.layersList.length !== 1) throw new Error('fake photoshop: changeMode of a layered document not implemented');
    const max = maxOf(this.depth);
    const out = allocate(this.width, this.height, 3, this.depth);
    const n = this.width * this.height;
    const put = (p: number, rgb: number[]): void => {
      for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.min(max, Math.max(0, Math.round(rgb[c] * max)));
    };
    for (let p = 0; p < n; p++) {
      if (this.mode === constants.DocumentMode.GRAYSCALE) {
        const v = srgbEncode((bg.data[p] / max) ** 2.2);
        put(p, [v, v, v]);
      } else if (this.mode === constants.DocumentMode.CMYK) {
        const [c, m, y, k] = [0, 1, 2, 3].map((i) => bg.data[p * 4 + i] / max);
        put(p, [(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)]);
      } else if (this.mode === constants.DocumentMode.LAB) {
        put(p, labToSrgb(bg.data[p * 3] / max, bg.data[p * 3 + 1] / max, bg.data[p * 3 + 2] / max));
      } else {
        for (let c = 0; c < 3; c++) out[p * 3 + c] = bg.data[p * 3 + c];
      }
    }
    this.layersList = [new FakeLayer(bg.id, bg.name, true, out, 3)];
    this.mode = constants.DocumentMode.RGB;
    this.profile = SRGB;
    this.record('Convert Mode');
  }
  /** A history state per command, except while a suspension on this document is open. */
  record(name: string): void {
    this.revision++;
    const suspended = state.modal !== null && [...state.modal.suspensions.values()].some((s) => s.doc === this);
    if (!suspended) this.history.push(name);
  }
  get layers(): FakeLayer[] {
    return [...this.layersList].reverse();
  }
  get backgroundLayer(): FakeLayer | null {
    return this.layersList.find((l) => l.isBackgroundLayer) ?? null;
  }
  get bitsPerChannel(): string {
    return this.depth === 16 ? constants.BitsPerChannelType.SIXTEEN : constants.BitsPerChannelType.EIGHT;
  }
  /**
   * document.md "Properties": bitsPerChannel (R W, 23.0). SILENT on how values are mapped: going
   * from 16 to 8 bits the fake DITHERS (+-1 in a fixed pattern), as Photoshop's Color Settings
   * "Use Dither (8-bit/channel images)" may, so flat areas do not stay exactly flat.
   */
  set bitsPerChannel(v: string) {
    requireModal('convertMode');
    const to: 8 | 16 = v === constants.BitsPerChannelType.SIXTEEN ? 16 : 8;
    if (to === this.depth) return;
    const dither = to === 8;
    for (const l of this.layersList) {
      const out = allocate(this.width, this.height, l.components, to);
      for (let i = 0; i < out.length; i++) out[i] = Math.min(maxOf(to), Math.max(0, Math.round((l.data[i] * maxOf(to)) / maxOf(this.depth)) + (dither ? (i % 3) - 1 : 0)));
      l.data = out;
    }
    this.depth = to;
    this.record('Convert Mode');
  }

  /** Background composited with the layers above it ("normal" blending, straight alpha). */
  composite(): PixelBuffer {
    if (this.mode !== constants.DocumentMode.RGB) throw new Error(`fake photoshop: the RGB composite of a ${this.mode} document not implemented`);
    const max = maxOf(this.depth);
    const out = allocate(this.width, this.height, 3, this.depth);
    const bg = this.backgroundLayer;
    if (bg) out.set(bg.data);
    else out.fill(max);
    for (const l of this.layersList) {
      if (l === bg) continue;
      for (let p = 0, q = 0; p < out.length; p += 3, q += 4) {
        const a = l.data[q + 3] / max;
        for (let c = 0; c < 3; c++) out[p + c] = Math.round(l.data[q + c] * a + out[p + c] * (1 - a));
      }
    }
    return { data: out, width: this.width, height: this.height, components: 3, hasAlpha: false, maxValue: max };
  }

  /**
   * The composite as getPixels gives it without a layerID. With a Background layer it is opaque
   * RGB; without one it carries alpha (imaging.md "getPixels": "the `components` property of
   * the image data depends on whether or not the pixel source includes an alpha channel, e.g.,
   * 4 for RGBA"), layers stacked with "normal" blending over nothing.
   */
  compositeWithAlpha(): { data: Values; components: 3 | 4 } {
    if (this.backgroundLayer) return { data: this.composite().data, components: 3 };
    const max = maxOf(this.depth);
    const out = allocate(this.width, this.height, 4, this.depth);
    for (const l of this.layersList) {
      for (let q = 0; q < out.length; q += 4) {
        const a = l.data[q + 3] / max;
        const under = out[q + 3] / max;
        const alpha = a + under * (1 - a);
        if (alpha === 0) continue;
        for (let c = 0; c < 3; c++) out[q + c] = Math.round((l.data[q + c] * a + out[q + c] * under * (1 - a)) / alpha);
        out[q + 3] = Math.round(alpha * max);
      }
    }
    return { data: out, components: 4 };
  }

  snapshot(): Snapshot {
    return {
      width: this.width, height: this.height, depth: this.depth,
      layers: this.layersList.map((l) => ({ id: l.id, name: l.name, background: l.isBackgroundLayer, data: l.data.slice(), components: l.components })),
      selection: this.selection.mask ? this.selection.mask.slice() : null,
      history: [...this.history],
      profile: this.profile,
      mode: this.mode,
    };
  }

  restore(s: Snapshot): void {
    this.width = s.width;
    this.height = s.height;
    this.depth = s.depth;
    this.layersList = s.layers.map((l) => new FakeLayer(l.id, l.name, l.background, l.data.slice(), l.components));
    this.selection.mask = s.selection ? s.selection.slice() : null;
    this.history.splice(0, this.history.length, ...s.history);
    this.profile = s.profile;
    this.mode = s.mode;
  }

  async duplicate(name?: string, mergeLayersOnly?: boolean): Promise<FakeDocument> {
    requireModal('duplicate');
    // document.md "duplicate": mergeLayersOnly "indicates whether to only duplicate merged
    // layers". SILENT on the result's layer: the fake keeps a Background only when the source
    // has one; otherwise the merged copy is one ordinary layer with transparency.
    if (this.mode !== constants.DocumentMode.RGB) return this.duplicateFlat(name);
    const merged = this.compositeWithAlpha();
    const layers = mergeLayersOnly
      ? [merged.components === 3 ? new FakeLayer(state.nextId++, 'Background', true, merged.data, 3) : new FakeLayer(state.nextId++, 'Layer 1', false, merged.data, 4)]
      : this.layersList.map((l) => new FakeLayer(state.nextId++, l.name, l.isBackgroundLayer, l.data.slice(), l.components));
    const copy = new FakeDocument({ title: name ?? `${this.title} copy`, width: this.width, height: this.height, depth: this.depth, layers, metadataSource: this.metadataSource, ancestors: [...this.ancestors, this.documentId], profile: this.profile, resolution: this.resolution });
    copy.history[0] = 'Duplicate Image';
    state.docs.push(copy);
    state.active = copy;
    return copy;
  }

  /** A flat document of another mode duplicates as itself (same mode, channels and profile). */
  private duplicateFlat(name?: string): FakeDocument {
    const bg = this.backgroundLayer;
    if (!bg || this.layersList.length !== 1) throw new Error(`fake photoshop: duplicating a layered ${this.mode} document not implemented`);
    const copy = new FakeDocument({ title: name ?? `${this.title} copy`, width: this.width, height: this.height, depth: this.depth, layers: [new FakeLayer(state.nextId++, 'Background', true, bg.data.slice(), bg.components)], metadataSource: this.metadataSource, ancestors: [...this.ancestors, this.documentId], profile: this.profile, resolution: this.resolution });
    copy.mode = this.mode;
    copy.history[0] = 'Duplicate Image';
    state.docs.push(copy);
    state.active = copy;
    return copy;
  }

  async flatten(): Promise<void> {
    requireModal('flattenImage');
    if (this.layersList.length === 1 && this.layersList[0].isBackgroundLayer) throw notAvailable('Flatten Image');
    this.layersList = [new FakeLayer(state.nextId++, 'Background', true, this.composite().data, 3)];
    this.record('Flatten Image');
  }

  /**
   * document.md "crop" (23.0): "Crops the document to the given bounds" (Bounds: left, top,
   * right, bottom; objects/bounds.md gives no unit). SILENT on the unit, where every other size
   * on the page says "in pixels": the fake takes the least convenient plausible reading, the
   * numbers as POINTS (1/72 inch) at the document's resolution, as a `rectangle` descriptor
   * without units is read (AdobeDocs/uxp-photoshop-plugin-samples issue #80: bounds 100..500 on
   * a 300 ppi document made a box 1667 pixels wide). At 72 ppi points and pixels agree.
   * SILENT on bounds past the canvas too: the fake does what the Crop tool does, the canvas
   * GROWS to the bounds (new pixels 0), so only bounds on the canvas keep the picture's size honest.
   */
  async crop(bounds: { left: number; top: number; right: number; bottom: number }): Promise<void> {
    requireModal('crop');
    const k = this.resolution / 72;
    const b = { left: Math.round(bounds.left * k), top: Math.round(bounds.top * k), right: Math.round(bounds.right * k), bottom: Math.round(bounds.bottom * k) };
    const x0 = Math.max(0, b.left), y0 = Math.max(0, b.top);
    const x1 = Math.min(this.width, b.right), y1 = Math.min(this.height, b.bottom);
    if (x1 <= x0 || y1 <= y0) throw notAvailable('Crop');
    this.cutCanvas(b);
    this.record('Crop');
  }

  /**
   * document.md "resizeCanvas" (23.0): width and height are the "Numeric value of new width in
   * pixels"; anchor (constants.md "AnchorPosition"): "by default will resize an equal amount on
   * all sides". Only shrinking is modelled (what is added when the canvas grows is not).
   * SILENT on an odd difference with a centred anchor: the extra pixel comes off the right/bottom.
   */
  async resizeCanvas(width: number, height: number, anchor: string = constants.AnchorPosition.MIDDLECENTER): Promise<void> {
    requireModal('canvasSize');
    if (!Object.values(constants.AnchorPosition).includes(anchor)) throw new Error(`resizeCanvas: unknown anchor ${anchor}`);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`resizeCanvas: ${width} x ${height} is not a size in pixels`);
    if (width > this.width || height > this.height) throw new Error('fake photoshop: growing the canvas not implemented');
    const dx = this.width - width, dy = this.height - height;
    const left = anchor.endsWith('left') ? 0 : anchor.endsWith('right') ? dx : Math.floor(dx / 2);
    const top = anchor.startsWith('top') ? 0 : anchor.startsWith('bottom') ? dy : Math.floor(dy / 2);
    this.cutCanvas({ left, top, right: left + width, bottom: top + height });
    this.record('Canvas Size');
  }

  /** The canvas becomes `b` (pixels; parts past the old canvas are 0), the selection is dropped. */
  private cutCanvas(b: { left: number; top: number; right: number; bottom: number }): void {
    const x0 = Math.max(0, b.left), y0 = Math.max(0, b.top);
    const x1 = Math.min(this.width, b.right), y1 = Math.min(this.height, b.bottom);
    const w = b.right - b.left, h = b.bottom - b.top;
    for (const l of this.layersList) {
      const out = allocate(w, h, l.components, this.depth);
      for (let y = y0; y < y1; y++) out.set(l.data.subarray((y * this.width + x0) * l.components, (y * this.width + x1) * l.components), ((y - b.top) * w + (x0 - b.left)) * l.components);
      l.data = out;
    }
    this.width = w;
    this.height = h;
    this.selection.mask = null;
  }

  closeWithoutSaving(): void {
    requireModal('close');
    state.docs = state.docs.filter((d) => d !== this);
    if (state.active === this) state.active = state.docs[state.docs.length - 1] ?? null;
  }

  private async encode(format: 'jpeg' | 'png', interlaced: boolean): Promise<Buffer> {
    if (this.mode !== constants.DocumentMode.RGB) throw new Error(`fake photoshop: saving a ${this.mode} document not implemented`);
    const c = this.composite();
    if (format === 'jpeg') {
      if (this.depth !== 8) throw new Error('JPEG documents must be 8 bits per channel');
      return sharp(Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength), { raw: { width: c.width, height: c.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
    }
    if (this.depth === 16) {
      const wide = new Uint16Array(c.data.length);
      for (let i = 0; i < wide.length; i++) wide[i] = Math.round((c.data[i] * 65535) / PS16_MAX);
      // A Uint16Array (not a Buffer) makes sharp read 16-bit samples; rgb16 keeps them 16-bit.
      return sharp(wide, { raw: { width: c.width, height: c.height, channels: 3 } }).pipelineColourspace('rgb16').toColourspace('rgb16').png({ progressive: interlaced }).toBuffer();
    }
    return sharp(Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength), { raw: { width: c.width, height: c.height, channels: 3 } }).png({ progressive: interlaced }).toBuffer();
  }

  /** Writes the file, then plants what Photoshop writes into every save (no option turns it off). */
  private async save(entry: unknown, format: 'jpeg' | 'png', asCopy: boolean | undefined, how: { interlaced: boolean; profile: boolean }): Promise<void> {
    requireModal('save');
    const target = (entry as { nativePath?: unknown }).nativePath;
    if (typeof target !== 'string') throw new Error('saveAs needs a UXP file entry');
    fs.writeFileSync(target, await this.encode(format, how.interlaced));
    plantPhotoshopMetadata(target, this, format, how.profile);
    if (!asCopy) {
      this.title = path.basename(target);
      this.filePath = target;
    }
  }
  /**
   * document.md "saveAs": jpg(entry, saveOptions?, asCopy). objects/saveoptions/
   * jpegsaveoptions.md: quality 0...12, embedColorProfile ("False to skip embedding the color
   * profile"; SILENT on its default: the fake embeds unless told false), formatOptions (default
   * STANDARDBASELINE), scans 3...5, matteColor, color, customMatte; nothing about metadata (so
   * the fake writes it whatever the options).
   */
  async saveJpg(entry: File, options: object = {}, asCopy?: boolean): Promise<void> {
    onlyOptions('saveAs.jpg', options, ['quality', 'embedColorProfile', 'formatOptions', 'scans', 'matteColor', 'color', 'customMatte']);
    const quality = (options as { quality?: number }).quality;
    if (quality !== undefined && !(Number.isInteger(quality) && quality >= 0 && quality <= 12)) throw new Error(`saveAs.jpg: quality ${quality} is outside 0...12`);
    if ((options as { formatOptions?: unknown }).formatOptions !== undefined) throw new Error('fake photoshop: JPEG formatOptions other than the default not implemented');
    await this.save(entry, 'jpeg', asCopy, { interlaced: false, profile: (options as { embedColorProfile?: boolean }).embedColorProfile !== false });
  }
  /**
   * pngsaveoptions.md: method (PNGMethod; no default given), compression 0...9 and interlaced,
   * both "to be used when method = PNGMethod.QUICK". SILENT on what applies otherwise: the fake
   * ignores both and interlaces (as if the Save As dialog was last used with Interlaced). The
   * page has no colour profile option: the fake always embeds one.
   */
  async savePng(entry: File, options: object = {}, asCopy?: boolean): Promise<void> {
    onlyOptions('saveAs.png', options, ['compression', 'interlaced', 'method']);
    const { compression, interlaced, method } = options as { compression?: number; interlaced?: boolean; method?: string };
    if (compression !== undefined && !(Number.isInteger(compression) && compression >= 0 && compression <= 9)) throw new Error(`saveAs.png: compression ${compression} is outside 0...9`);
    if (method !== undefined && !Object.values(constants.PNGMethod).includes(method)) throw new Error(`saveAs.png: unknown method ${method}`);
    await this.save(entry, 'png', asCopy, { interlaced: method === constants.PNGMethod.QUICK ? interlaced === true : true, profile: true });
  }
}

const thumbnailPath = (() => {
  let p: string | null = null;
  // The fake lives as long as one test file: leave no temporary folder behind.
  afterAll(() => {
    if (p) fs.rmSync(path.dirname(p), { recursive: true, force: true });
  });
  return async (): Promise<string> => {
    if (p) return p;
    p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deid-fake-ps-')), 'thumb.jpg');
    fs.writeFileSync(p, await sharp({ create: { width: 16, height: 12, channels: 3, background: { r: 200, g: 120, b: 90 } } }).jpeg().toBuffer());
    // The sRGB profile Photoshop embeds, taken from libvips (planted with exiftool, pixels untouched).
    const icc = (await sharp(await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).withIccProfile('srgb').png().toBuffer()).metadata()).icc;
    if (!icc) throw new Error('fake photoshop: no sRGB profile from sharp');
    fs.writeFileSync(path.join(path.dirname(p), 'srgb.icc'), icc);
    return p;
  };
})();
let thumbReady: string | null = null;

function plantPhotoshopMetadata(file: string, doc: FakeDocument, format: 'jpeg' | 'png', profile: boolean): void {
  const now = '2024:05:06 10:11:12';
  const args = ['-overwrite_original', '-m'];
  if (profile && thumbReady) args.push(`-ICC_Profile<=${path.join(path.dirname(thumbReady), 'srgb.icc')}`);
  if (doc.metadataSource) args.push('-TagsFromFile', doc.metadataSource, '-EXIF:all', '-GPS:all', '-Orientation#=1');
  args.push(
    '-EXIF:Software=Adobe Photoshop 25.0 (Windows)',
    `-EXIF:ModifyDate=${now}`,
    '-XMP-xmp:CreatorTool=Adobe Photoshop 25.0 (Windows)',
    `-XMP-xmpMM:DocumentID=${doc.documentId}`,
    `-XMP-xmpMM:InstanceID=xmp.iid:${doc.id}`,
    `-XMP-photoshop:History=File ${doc.metadataSource ? path.basename(doc.metadataSource) : doc.title} opened; Duplicate; Mosaic; Saved as ${format}`,
  );
  for (const a of doc.ancestors) args.push(`-XMP-photoshop:DocumentAncestors+=${a}`);
  if (thumbReady) {
    args.push(`-IFD1:ThumbnailImage<=${thumbReady}`);
    if (format === 'jpeg') args.push(`-Photoshop:PhotoshopThumbnail<=${thumbReady}`);
  }
  const run = spawnSync(EXIFTOOL, [...args, file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`fake photoshop: exiftool failed: ${run.stderr}`);
}

// ---- colour: the RGB matrix profiles the fake can convert between (D65 primaries, IEC 61966-2-1
// for sRGB, Adobe RGB (1998) Color Image Encoding section 4.3 for its matrix and 563/256 gamma) ----
const SRGB = 'sRGB IEC61966-2.1';
const ADOBE_RGB = 'Adobe RGB (1998)';
const DISPLAY_P3 = 'Display P3';
type Matrix = [number, number, number, number, number, number, number, number, number];
const TO_XYZ: Record<string, Matrix> = {
  [SRGB]: [0.4124564, 0.3575761, 0.1804375, 0.2126729, 0.7151522, 0.072175, 0.0193339, 0.119192, 0.9503041],
  [ADOBE_RGB]: [0.5767309, 0.185554, 0.1881852, 0.2973769, 0.6273491, 0.0752741, 0.0270343, 0.0706872, 0.9911085],
  [DISPLAY_P3]: [0.4865709, 0.2656677, 0.1982173, 0.2289746, 0.6917385, 0.0792869, 0, 0.0451134, 1.0439444],
};
const srgbDecode = (v: number): number => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const srgbEncode = (v: number): number => (v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055);
const DECODE: Record<string, (v: number) => number> = { [SRGB]: srgbDecode, [DISPLAY_P3]: srgbDecode, [ADOBE_RGB]: (v) => v ** (563 / 256) };
const ENCODE: Record<string, (v: number) => number> = { [SRGB]: srgbEncode, [DISPLAY_P3]: srgbEncode, [ADOBE_RGB]: (v) => v ** (256 / 563) };

function invert(m: Matrix): Matrix {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}
function multiply(m: Matrix, v: number[]): number[] {
  return [m[0] * v[0] + m[1] * v[1] + m[2] * v[2], m[3] * v[0] + m[4] * v[1] + m[5] * v[2], m[6] * v[0] + m[7] * v[1] + m[8] * v[2]];
}
/** Relative colorimetric between matrix profiles with one white point: out-of-gamut values clip. */
export function rgbConversion(from: string, to: string): (rgb: number[]) => number[] {
  if (!TO_XYZ[from] || !TO_XYZ[to]) throw new Error(`fake photoshop: no conversion from "${from}" to "${to}"`);
  const back = invert(TO_XYZ[to]);
  return (rgb) => multiply(back, multiply(TO_XYZ[from], rgb.map(DECODE[from]))).map((v) => ENCODE[to](Math.min(1, Math.max(0, v))));
}

/** Photoshop's Lab encoding (L 0..max = 0..100, a/b offset by half) to sRGB: D50, Bradford to D65. */
function labToSrgb(l: number, a8: number, b8: number): number[] {
  const L = l * 100, a = a8 * 255 - 128, b = b8 * 255 - 128;
  const fy = (L + 16) / 116, fx = fy + a / 500, fz = fy - b / 200;
  const inv = (t: number): number => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));
  const d50 = [0.96422 * inv(fx), inv(fy), 0.82521 * inv(fz)];
  const bradford: Matrix = [0.9555766, -0.0230393, 0.0631636, -0.0282895, 1.0099416, 0.0210077, 0.0122982, -0.020483, 1.3299098];
  return multiply(invert(TO_XYZ[SRGB]), multiply(bradford, d50)).map((v) => srgbEncode(Math.min(1, Math.max(0, v))));
}

// ---- Imaging API ----
// Every rule below follows AdobeDocs/uxp-photoshop src/pages/ps-reference/media/imaging.md
// (cited as "imaging.md <section>"). Where the page is silent the fake does the least
// convenient plausible thing, marked "SILENT".
type ImagingBounds = ImagingNS.Bounds;
type Values = Uint8Array | Uint16Array;

/** SILENT on unknown option names: the fake refuses them, so a misspelt option fails loudly. */
function onlyOptions(what: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new Error(`fake photoshop: ${what} has no option "${key}" (imaging.md ${what})`);
  }
}

/** imaging.md "Terminology and data types": chunky [R1,G1,B1,R2,...] vs planar [R1,R2,...,G1,...]. */
function toPlanar(values: Values, components: number): Values {
  const pixels = values.length / components;
  const out = values instanceof Uint16Array ? new Uint16Array(values.length) : new Uint8Array(values.length);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < components; c++) out[c * pixels + p] = values[p * components + c];
  return out;
}
function fromPlanar(values: Values, components: number): Values {
  const pixels = values.length / components;
  const out = values instanceof Uint16Array ? new Uint16Array(values.length) : new Uint8Array(values.length);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < components; c++) out[p * components + c] = values[c * pixels + p];
  return out;
}

class FakeImageData implements ImagingNS.PhotoshopImageData {
  /** imaging.md "PhotoshopImageData": `isChunky` is a read-only property (true for all data here). */
  readonly isChunky = true;
  /** The name @types/photoshop gives the same property. */
  readonly chunky = true;
  readonly type = 'image/uncompressed' as const;
  private disposed = false;
  constructor(
    /** Always held chunky. */
    private values: Values,
    readonly width: number,
    readonly height: number,
    readonly components: number,
    readonly componentSize: 8 | 16,
    readonly colorSpace: ImagingNS.ColorSpace,
    /** imaging.md "PhotoshopImageData": empty = "the profile of a target document will be used". */
    readonly colorProfile = '',
  ) {
    state.liveImageData.add(this);
  }
  get hasAlpha(): boolean {
    if ((this.colorSpace as string) === 'CMYK') return this.components === 5;
    return this.components === 2 || this.components === 4;
  }
  /**
   * imaging.md "PhotoshopImageData": pixelFormat is the "Memory layout (order) of components in a
   * pixel" ("RGB", "RGBA", "Grayscale", ...). With the injected fault `bgr`, RGB data comes in
   * blue-green-red order and says so here (a layout the page does not list).
   */
  get pixelFormat(): ImagingNS.PixelFormat {
    if (state.faults.bgr && this.colorSpace === 'RGB') return (this.hasAlpha ? 'BGRA' : 'BGR') as ImagingNS.PixelFormat;
    return this.colorSpace === 'Grayscale' ? (this.hasAlpha ? 'GrayscaleAlpha' : 'Grayscale') : this.hasAlpha ? 'RGBA' : 'RGB';
  }
  /** imaging.md "getData": options `chunky` (default true) and `fullRange` (16-bit only, default false). */
  getData = async (options: ImagingNS.GetDataOptions = {}): Promise<Values> => {
    if (this.disposed) throw new Error('imageData has been disposed');
    requireNotCancelled();
    onlyOptions('getData', options, ['chunky', 'fullRange']);
    let values: Values = this.values.slice();
    if (options.fullRange && values instanceof Uint16Array) values = values.map((v) => Math.round((v * 65535) / PS16_MAX));
    const chunky = state.faults.dropChunky ? false : options.chunky ?? true;
    if (state.faults.bgr && this.colorSpace === 'RGB') for (let p = 0; p < values.length; p += this.components) [values[p], values[p + 2]] = [values[p + 2], values[p]];
    return chunky ? values : toPlanar(values, this.components);
  };
  /** imaging.md "dispose": "this synchronous method"; @types/photoshop types it async. */
  dispose = (): Promise<void> => {
    this.disposed = true;
    state.liveImageData.delete(this);
    return Promise.resolve();
  };
  raw(): Values {
    if (this.disposed) throw new Error('imageData has been disposed');
    return this.values;
  }
}

function docById(id: number | undefined): FakeDocument {
  // imaging.md "getPixels" etc.: documentID "If missing, or negative, then the source is the active document".
  const d = id === undefined || id < 0 ? state.active : state.docs.find((x) => x.id === id);
  if (!d) throw new Error(`No document with id ${id}`);
  return d;
}

/**
 * imaging.md "Terminology and data types": right/bottom are exclusive, and width/height may
 * stand for right/bottom. The request is trimmed to the canvas.
 */
function trim(b: (Partial<ImagingBounds> & { width?: number; height?: number }) | undefined, d: FakeDocument): ImagingBounds {
  const r = b ? { left: b.left ?? 0, top: b.top ?? 0, right: b.right ?? (b.left ?? 0) + (b.width ?? 0), bottom: b.bottom ?? (b.top ?? 0) + (b.height ?? 0) } : { left: 0, top: 0, right: d.width, bottom: d.height };
  const t = { left: Math.max(0, r.left), top: Math.max(0, r.top), right: Math.min(d.width, r.right), bottom: Math.min(d.height, r.bottom) };
  if (t.right <= t.left || t.bottom <= t.top) throw new Error('sourceBounds lies outside the document');
  return t;
}

/** imaging.md "getPixels": "The provided bounds will be trimmed to only that region that contains pixel data." */
function trimToPixels(b: ImagingBounds, layer: { data: Values; components: number }, d: FakeDocument): ImagingBounds {
  if (layer.components !== 4) return b;
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = b.top; y < b.bottom; y++) for (let x = b.left; x < b.right; x++) {
    if (layer.data[(y * d.width + x) * 4 + 3] === 0) continue;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  if (x1 < 0) throw new Error('sourceBounds holds no pixel data');
  return { left: x0, top: y0, right: x1 + 1, bottom: y1 + 1 };
}

function cut(values: Values, width: number, comps: number, b: ImagingBounds): Values {
  const w = b.right - b.left, h = b.bottom - b.top;
  const out = values instanceof Uint16Array ? new Uint16Array(w * h * comps) : new Uint8Array(w * h * comps);
  for (let y = 0; y < h; y++) out.set(values.subarray(((b.top + y) * width + b.left) * comps, ((b.top + y) * width + b.right) * comps), y * w * comps);
  return out;
}

/**
 * getPixels of a (flat) document not in RGB mode. imaging.md "getPixels": colorSpace "If
 * omitted, then the color space of the source document is used"; PhotoshopImageData colorSpace
 * "can be "RGB", "Grayscale", "Lab"", and "An opaque gray scale pixel has one component". SILENT
 * on CMYK: the fake gives its 4 components (which look like RGBA by count alone) with colorSpace
 * "CMYK"; SILENT on Indexed, Bitmap, Duotone and Multichannel: the fake refuses.
 */
function nativePixels(d: FakeDocument, options: ImagingNS.GetPixelsOptions): ImagingNS.GetPixelsResult {
  const space = d.mode === constants.DocumentMode.GRAYSCALE ? 'Grayscale' : d.mode === constants.DocumentMode.LAB ? 'Lab' : d.mode === constants.DocumentMode.CMYK ? 'CMYK' : null;
  if (!space) throw new Error(`fake photoshop: getPixels from a ${d.mode} document (undocumented) refused`);
  const source = options.layerID !== undefined ? d.layersList.find((l) => l.id === options.layerID) : d.backgroundLayer;
  if (!source) throw new Error(`No layer with id ${options.layerID}`);
  const b = trim(options.sourceBounds, d);
  const values = cut(source.data, d.width, source.components, b);
  const imageData = new FakeImageData(values, b.right - b.left, b.bottom - b.top, source.components, d.depth, space as ImagingNS.ColorSpace, d.profile);
  return { imageData, sourceBounds: b, level: 0 };
}

const imagingImpl = {
  async getPixels(options: ImagingNS.GetPixelsOptions): Promise<ImagingNS.GetPixelsResult> {
    userMayCancel('getPixels');
    requireNotCancelled();
    onlyOptions('getPixels', options, ['documentID', 'layerID', 'historyStateID', 'sourceBounds', 'targetSize', 'colorSpace', 'colorProfile', 'componentSize', 'applyAlpha']);
    const d = docById(options.documentID);
    // imaging.md "getPixels": componentSize "-1 (for using the source document's depth)"; other
    // depths are converted by Photoshop, which the fake does not model.
    if (options.componentSize !== undefined && options.componentSize !== -1 && options.componentSize !== d.depth) {
      throw new Error(`fake photoshop: getPixels componentSize ${options.componentSize} on a ${d.depth}-bit document not implemented`);
    }
    if (options.targetSize) throw new Error('fake photoshop: getPixels targetSize not implemented');
    if ('historyStateID' in options || options.colorSpace !== undefined || options.colorProfile !== undefined) {
      throw new Error('fake photoshop: getPixels historyStateID/colorSpace/colorProfile not implemented');
    }
    if (d.mode !== constants.DocumentMode.RGB) return nativePixels(d, options);
    let b = trim(options.sourceBounds, d);
    let values: Values;
    let comps: number;
    // imaging.md "getPixels": "The provided bounds will be trimmed to only that region that
    // contains pixel data", for a layer and (without a Background) for the composite alike.
    const source = options.layerID !== undefined ? d.layersList.find((l) => l.id === options.layerID) : d.compositeWithAlpha();
    if (!source) throw new Error(`No layer with id ${options.layerID}`);
    b = trimToPixels(b, source, d);
    values = cut(source.data, d.width, source.components, b);
    comps = source.components;
    // imaging.md "getPixels": applyAlpha "If true, then RGBA pixels will be converted to RGB by
    // matting on white. ... any areas devoid of pixel data will still be trimmed".
    if (options.applyAlpha === true && comps === 4) {
      const max = maxOf(d.depth);
      const rgb = values instanceof Uint16Array ? new Uint16Array((values.length / 4) * 3) : new Uint8Array((values.length / 4) * 3);
      for (let p = 0, q = 0; q < values.length; p += 3, q += 4) {
        const a = values[q + 3] / max;
        for (let c = 0; c < 3; c++) rgb[p + c] = Math.round(values[q + c] * a + max * (1 - a));
      }
      values = rgb;
      comps = 3;
    }
    const imageData = new FakeImageData(values, b.right - b.left, b.bottom - b.top, comps, d.depth, 'RGB', d.profile);
    // imaging.md "getPixels": level 0 is the full-resolution canvas (always, without targetSize).
    return { imageData, sourceBounds: b, level: 0 };
  },
  async putPixels(options: ImagingNS.PutPixelsOptions): Promise<void> {
    // executeasmodal.md: calls that change a document need the modal scope.
    requireModal('putPixels');
    onlyOptions('putPixels', options, ['documentID', 'layerID', 'imageData', 'replace', 'targetBounds', 'commandName']);
    const d = docById(options.documentID);
    // imaging.md "putPixels": layerID is Required; "The target layer must be a pixel layer".
    const layer = d.layersList.find((l) => l.id === options.layerID);
    if (!layer) throw new Error(`No layer with id ${options.layerID}`);
    if (d.mode !== constants.DocumentMode.RGB && d.mode !== constants.DocumentMode.GRAYSCALE) throw new Error(`fake photoshop: putPixels into a ${d.mode} document not implemented`);
    const img = options.imageData as FakeImageData;
    if (img.componentSize !== d.depth) throw new Error(`putPixels: ${img.componentSize}-bit data into a ${d.depth}-bit document`);
    if (img.components !== layer.components) throw new Error(`putPixels: ${img.components} components into a layer with ${layer.components}`);
    if (img.colorProfile !== '' && img.colorProfile !== d.profile) throw new Error('fake photoshop: putPixels colour conversion not implemented');
    if (state.ignorePutPixels) return;
    const replace = state.faults.forceReplace ?? options.replace;
    // imaging.md "putPixels": replace "If true, then existing pixels in the layer are discarded
    // before adding new pixels ... The default value is true." SILENT on what a discarded pixel
    // of a background layer becomes: 0 (black; transparent where there is alpha).
    if (replace !== false) layer.data.fill(0);
    // imaging.md "putPixels": targetBounds "must include ... left, top. (Dimension keys width
    // and height are not used.)"; without it "pixels are inserted at the origin (0, 0)".
    const left = options.targetBounds?.left ?? 0, top = options.targetBounds?.top ?? 0;
    const src = img.raw();
    const comps = layer.components;
    for (let y = 0; y < img.height; y++) {
      const ty = top + y;
      if (ty < 0 || ty >= d.height) continue;
      for (let x = 0; x < img.width; x++) {
        const tx = left + x;
        if (tx < 0 || tx >= d.width) continue;
        for (let c = 0; c < comps; c++) layer.data[(ty * d.width + tx) * comps + c] = src[(y * img.width + x) * comps + c];
      }
    }
    // imaging.md "putPixels": commandName "is used when creating an entry in the history panel".
    d.record(options.commandName ?? 'Put Pixels');
  },
  async getSelection(options: ImagingNS.GetSelectionOptions): Promise<ImagingNS.GetSelectionResult> {
    requireNotCancelled();
    onlyOptions('getSelection', options, ['documentID', 'sourceBounds', 'targetSize']);
    if (options.targetSize) throw new Error('fake photoshop: getSelection targetSize not implemented');
    const d = docById(options.documentID);
    const sel = d.selection.anyBox();
    const mask = d.selection.mask;
    // SILENT on an empty selection: the fake throws.
    if (!sel || !mask) throw new Error('There is no selection');
    const req = trim(options.sourceBounds, d);
    // imaging.md "getSelection": sourceBounds is "The actual bounds used". SILENT on trimming:
    // the fake trims to the pixels selected at all and says so.
    const b = { left: Math.max(req.left, sel.left), top: Math.max(req.top, sel.top), right: Math.min(req.right, sel.right), bottom: Math.min(req.bottom, sel.bottom) };
    if (b.right <= b.left || b.bottom <= b.top) throw new Error('sourceBounds holds no selected pixels');
    // SILENT on the mask's depth: the document's (a 16-bit document gives 0..32768).
    let values: Values = cut(mask, d.width, 1, b);
    if (d.depth === 16) values = Uint16Array.from(values, (v) => Math.round((v * PS16_MAX) / 255));
    const imageData = new FakeImageData(values, b.right - b.left, b.bottom - b.top, 1, d.depth, 'Grayscale');
    return { imageData, sourceBounds: b };
  },
  async createImageDataFromBuffer(buffer: Uint8Array | Uint16Array | Float32Array, options: ImagingNS.CreateImageDataFromBufferOptions): Promise<ImagingNS.PhotoshopImageData> {
    requireNotCancelled();
    onlyOptions('createImageDataFromBuffer', options, ['width', 'height', 'components', 'chunky', 'colorProfile', 'colorSpace', 'fullRange']);
    if (buffer instanceof Float32Array) throw new Error('fake photoshop: 32-bit image data not implemented');
    // imaging.md "createImageDataFromBuffer": colorSpace is Required.
    if (!options.colorSpace) throw new Error('createImageDataFromBuffer: colorSpace is required');
    if (buffer.length !== options.width * options.height * options.components) {
      throw new Error(`createImageDataFromBuffer: ${buffer.length} values for ${options.width}x${options.height}x${options.components}`);
    }
    // imaging.md "createImageDataFromBuffer": chunky "The default value is true"; fullRange
    // (16-bit) "Set to false if data is using the reduced range: [0..32768]", default false.
    const chunky = state.faults.dropChunky ? false : options.chunky ?? true;
    let values: Values = chunky ? buffer.slice() : fromPlanar(buffer, options.components);
    if (options.fullRange && values instanceof Uint16Array) values = values.map((v) => Math.round((v * PS16_MAX) / 65535));
    const space: ImagingNS.ColorSpace = options.colorSpace === 'Grayscale' ? 'Grayscale' : 'RGB';
    return new FakeImageData(values, options.width, options.height, options.components, buffer instanceof Uint16Array ? 16 : 8, space, options.colorProfile ?? '');
  },
  async encodeImageData(options: ImagingNS.EncodeImageDataOptions): Promise<number[] | string> {
    requireNotCancelled();
    onlyOptions('encodeImageData', options, ['imageData', 'base64']);
    const img = options.imageData as FakeImageData;
    // imaging.md "encodeImageData": "The data colorSpace must be RGB".
    if (img.componentSize !== 8 || img.components !== 3) throw new Error('encodeImageData needs 8-bit RGB image data');
    const jpeg = await sharp(Buffer.from(img.raw()), { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg().toBuffer();
    return options.base64 ? jpeg.toString('base64') : [...jpeg];
  },
} satisfies Pick<typeof ImagingNS, 'getPixels' | 'putPixels' | 'getSelection' | 'createImageDataFromBuffer' | 'encodeImageData'>;

export const imaging = strict(imagingImpl, 'imaging');

// ---- core ----
const coreImpl = {
  /**
   * executeasmodal.md (AdobeDocs/uxp-photoshop src/pages/ps-reference/media/executeasmodal.md)
   * and objects/returnobjects/executeasmodaloptions.md: options commandName, descriptor,
   * interactive, timeOut (SECONDS; "Defaults to one second"). While another plugin is modal the
   * request retries for timeOut seconds, then fails with `number == 9` ("Options parameter").
   */
  async executeAsModal<T>(fn: (ctx: ExecutionContext, descriptor?: object) => Promise<T>, options: { commandName: string; descriptor?: object; interactive?: boolean; timeOut?: number }): Promise<T> {
    if (!options || typeof options.commandName !== 'string') throw new Error('executeAsModal needs options.commandName');
    onlyOptions('executeAsModal', options, ['commandName', 'descriptor', 'interactive', 'timeOut']);
    state.modalWaits.push(options.timeOut ?? 1);
    if (state.heldByOther) throw Object.assign(new Error('Plugin: com.example.other is running a modal command'), { number: BUSY_NUMBER });
    // executeasmodal.md "Notes": "You can have nested modal scopes". The fake REFUSES nesting
    // (as the pre-25.10 collision error) on purpose: src/photoshop/modal.ts keeps one scope at a
    // time, so an adapter that nested would be wrong in Photoshop without failing there.
    if (state.modal) throw Object.assign(new Error('host is in a modal state'), { number: BUSY_NUMBER });
    const scope: ModalScope = { ctx: null as unknown as ExecutionContext, cancelled: false, suspensions: new Map(), autoClose: new Set() };
    const hostControl = {
      // executeasmodal.md "suspendHistory": ({documentID, name}) returns a suspension identifier.
      async suspendHistory(info: HistoryStateInfo): Promise<HistorySuspension> {
        requireNotCancelled();
        const doc = docById(info.documentID);
        const id = state.nextSuspension++;
        scope.suspensions.set(id, { doc, snapshot: doc.snapshot(), name: info.name, revision: doc.revision });
        return { historySuspensionID: id };
      },
      // executeasmodal.md "resumeHistory": commit "Default true ... or roll back the document
      // state to the point at which it was suspended"; "Photoshop only creates a history state
      // if the document was modified"; `finalName` renames the state.
      async resumeHistory(params: ResumeHistorySuspensionOptions, commit = true): Promise<void> {
        requireNotCancelled();
        const s = scope.suspensions.get(params.historySuspensionID);
        if (!s) throw new Error(`No history suspension ${params.historySuspensionID}`);
        scope.suspensions.delete(params.historySuspensionID);
        if (!commit) s.doc.restore(s.snapshot);
        else if (s.doc.revision !== s.revision) s.doc.history.push(params.finalName ?? s.name);
      },
      // executeasmodal.md "Automatic document closing": "JavaScript can register one or more
      // documents to be automatically closed without saving when the modal scope ends", and
      // unregister them ("If the method succeeds then the document is unregistered"). SILENT
      // on: registering after a cancel (the fake raises, as every call does), an id that is
      // not open (raises), unregistering an id never registered (raises).
      async registerAutoCloseDocument(documentID: number): Promise<void> {
        requireNotCancelled();
        if (!state.docs.some((d) => d.id === documentID)) throw new Error(`No document with id ${documentID}`);
        scope.autoClose.add(documentID);
      },
      async unregisterAutoCloseDocument(documentID: number): Promise<void> {
        requireNotCancelled();
        if (!scope.autoClose.delete(documentID)) throw new Error(`Document ${documentID} is not registered to close automatically`);
      },
    };
    scope.ctx = strict(
      {
        get isCancelled() {
          return scope.cancelled;
        },
        onCancel: undefined,
        reportProgress(p: { value?: number }) {
          state.progress.push(p.value ?? 0);
          if (state.cancelOnProgress) scope.cancelled = true;
        },
        hostControl: strict(hostControl, 'hostControl'),
      },
      'ExecutionContext',
    );
    state.modal = scope;
    try {
      return await fn(scope.ctx, options.descriptor);
    } catch (e) {
      // executeasmodal.md "History state suspension": "If the target function exits via an
      // exception, then all unsuspended history states are cancelled."
      for (const s of scope.suspensions.values()) s.doc.restore(s.snapshot);
      scope.suspensions.clear();
      // SILENT on whether the error keeps its type across executeAsModal: the fake keeps only
      // the message, so callers cannot rely on their own error classes surviving.
      throw new Error(e instanceof Error ? e.message : String(e));
    } finally {
      // "When the modal scope ends, Photoshop will auto-resume history on any document that is still in a suspended state."
      for (const s of scope.suspensions.values()) if (s.doc.revision !== s.revision) s.doc.history.push(s.name);
      state.modal = null;
      // executeasmodal.md "Automatic document closing": closed without saving "when the modal
      // scope ends", whether the target function returned or threw. SILENT on a registered
      // document the plugin closed itself: the fake counts it (closedWhileRegistered) so tests
      // can require that the adapter unregisters before closing.
      for (const id of scope.autoClose) {
        const d = state.docs.find((x) => x.id === id);
        if (!d) {
          state.closedWhileRegistered++;
          continue;
        }
        state.docs = state.docs.filter((x) => x !== d);
        if (state.active === d) state.active = state.docs[state.docs.length - 1] ?? null;
        state.autoClosed++;
      }
    }
  },
  isModal(): boolean {
    return state.modal !== null;
  },
} satisfies Pick<typeof photoshopCore, 'executeAsModal' | 'isModal'>;

export const core = strict(coreImpl, 'core');
export const action = strict({}, 'action');

// ---- app ----
function documentsView(): FakeDocument[] {
  const list = [...state.docs] as FakeDocument[] & { add?: unknown };
  return strict(Object.assign(list, { add: addDocument }), 'documents');
}

async function addDocument(options: { name?: string; width?: number; height?: number; depth?: number; mode?: string; fill?: string; resolution?: number; profile?: string }): Promise<FakeDocument> {
  requireModal('make');
  // documentcreateoptions.md: profile "Color Profile using profile name"; SILENT on an unknown
  // name: the fake throws.
  if (options.profile !== undefined && !TO_XYZ[options.profile]) throw new Error(`fake photoshop: unknown profile "${options.profile}"`);
  // documents.md "add": "Any parameter missing will be set to the default of: width 2100
  // pixels, height 1500 pixels, resolution 300 pixels per inch, mode: @RGBColorMode and a fill
  // of white"; documentcreateoptions.md: depth default 8.
  const width = options.width ?? 2100, height = options.height ?? 1500;
  const depth: 8 | 16 = options.depth === 16 ? 16 : 8;
  const data = allocate(width, height, 3, depth);
  if (options.fill !== 'black') data.fill(maxOf(depth));
  const d = new FakeDocument({ title: options.name ?? 'Untitled-1', width, height, depth, layers: [new FakeLayer(state.nextId++, 'Background', true, data, 3)], metadataSource: null, profile: options.profile, resolution: options.resolution ?? 300 });
  state.docs.push(d);
  state.active = d;
  return d;
}

const appImpl = {
  get documents(): FakeDocument[] {
    return documentsView();
  },
  get activeDocument(): FakeDocument {
    // With no document, the real getter's behaviour is UNCONFIRMED; the fake takes the harsher one.
    if (!state.active) throw new Error('There is no active document');
    return state.active;
  },
  set activeDocument(d: FakeDocument) {
    requireModal('select document');
    if (!state.docs.includes(d)) throw new Error('That document is closed');
    state.active = d;
  },
  async open(entry: File): Promise<FakeDocument> {
    requireModal('open');
    const p = (entry as unknown as { nativePath: string }).nativePath;
    const d = await documentFromFile(p, path.basename(p));
    state.docs.push(d);
    state.active = d;
    return d;
  },
};

export const app = strict(appImpl, 'app');

/**
 * A file as Photoshop opens it. sharp converts any embedded profile to sRGB; a file without one
 * gets the working space (sRGB here), as Photoshop's default colour settings do.
 */
async function documentFromFile(file: string, title: string): Promise<FakeDocument> {
  // A 16-bit file (PNG) opens as a 16 Bits/Channel document, as in Photoshop: the Imaging
  // API then gives 0..32768 values (imaging.md "Terminology and data types").
  // A file with an alpha channel (PNG) opens with no Background: one layer with transparency.
  const meta = await sharp(file).metadata();
  const wide = meta.depth === 'ushort';
  const alpha = meta.hasAlpha === true;
  // A palette file (PNG colour type 3) opens in Indexed Color mode and a one-channel file in
  // Grayscale, as Photoshop opens them (document.md "Properties": mode).
  const gray = meta.channels === 1;
  if ((meta.isPalette || gray) && (alpha || wide)) throw new Error(`fake photoshop: opening a ${gray ? 'grayscale' : 'palette'} file with alpha or 16 bits not implemented`);
  if (gray || meta.isPalette) {
    const { data, info } = await (gray ? sharp(file).toColourspace('b-w') : sharp(file).removeAlpha().toColourspace('srgb')).raw().toBuffer({ resolveWithObject: true });
    const comps = gray ? 1 : 3;
    if (info.channels !== comps) throw new Error(`fake photoshop: ${info.channels} channels in ${file}`);
    const values = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    const d = new FakeDocument({ title, width: info.width, height: info.height, depth: 8, layers: [new FakeLayer(state.nextId++, 'Background', true, values, comps)], metadataSource: file, profile: gray ? '' : undefined });
    d.mode = gray ? constants.DocumentMode.GRAYSCALE : constants.DocumentMode.INDEXEDCOLOR;
    d.filePath = file;
    return d;
  }
  const img = alpha ? sharp(file).ensureAlpha() : sharp(file).removeAlpha();
  const { data, info } = await (wide ? img.toColourspace('rgb16') : img.toColourspace('srgb')).raw({ depth: wide ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  let pixels: Uint8Array | Uint16Array = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (wide) {
    const full = new Uint16Array(pixels.buffer, 0, pixels.byteLength / 2);
    pixels = Uint16Array.from(full, (v) => Math.round((v * PS16_MAX) / 65535));
  }
  if (info.channels !== (alpha ? 4 : 3)) throw new Error(`fake photoshop: ${info.channels} channels in ${file}`);
  const layer = alpha ? new FakeLayer(state.nextId++, 'Layer 0', false, pixels, 4) : new FakeLayer(state.nextId++, 'Background', true, pixels, 3);
  const d = new FakeDocument({ title, width: info.width, height: info.height, depth: wide ? 16 : 8, layers: [layer], metadataSource: file });
  d.filePath = file;
  return d;
}

export default { app, core, action, imaging, constants };

/** Test controls (not part of Photoshop). */
export const fakePhotoshop = {
  async reset(): Promise<void> {
    Object.assign(state, { docs: [], active: null, modal: null, heldByOther: false, cancelOnProgress: false, cancelAt: null, autoClosed: 0, closedWhileRegistered: 0, ignorePutPixels: false, progress: [], modalWaits: [], faults: { forceReplace: undefined, dropChunky: false, bgr: false } });
    state.liveImageData.clear();
    thumbReady = await thumbnailPath();
  },
  /** The user opens a photograph (decoded with sharp; its camera tags ride along into saves). */
  async openFile(file: string, title = path.basename(file)): Promise<FakeDocument> {
    const d = await documentFromFile(file, title);
    state.docs.push(d);
    state.active = d;
    return d;
  },
  /** The user opens a document built from pixels (8-bit: maxValue 255; 16-bit: 32768). */
  openPixels(pixels: PixelBuffer, title: string, extraLayer?: PixelBuffer, options: { profile?: string; resolution?: number } = {}): FakeDocument {
    const depth: 8 | 16 = pixels.maxValue === PS16_MAX ? 16 : 8;
    // RGBA pixels: a document with no Background layer (e.g. a PNG with transparency).
    const layers = pixels.components === 4 ? [new FakeLayer(state.nextId++, 'Layer 0', false, pixels.data.slice(), 4)] : [new FakeLayer(state.nextId++, 'Background', true, pixels.data.slice(), 3)];
    if (extraLayer) layers.push(new FakeLayer(state.nextId++, 'Layer 1', false, extraLayer.data.slice(), 4));
    const d = new FakeDocument({ title, width: pixels.width, height: pixels.height, depth, layers, metadataSource: null, ...options });
    state.docs.push(d);
    state.active = d;
    return d;
  },
  documents: (): FakeDocument[] => [...state.docs],
  active: (): FakeDocument | null => state.active,
  /** The user draws a rectangular marquee. */
  selectRect(d: FakeDocument, r: { x: number; y: number; w: number; h: number }): void {
    d.selection.setRect({ left: r.x, top: r.y, right: r.x + r.w, bottom: r.y + r.h });
  },
  /** The user draws any selection: `inside(x, y)` gives the mask value (0..255). */
  selectMask(d: FakeDocument, inside: (x: number, y: number) => number): void {
    const m = new Uint8Array(d.width * d.height);
    for (let y = 0; y < d.height; y++) for (let x = 0; x < d.width; x++) m[y * d.width + x] = inside(x, y);
    d.selection.mask = m;
  },
  /**
   * The user turns the Background into an ordinary layer (Layer > New > Layer from Background)
   * and erases where `alpha(x, y)` (0..max) is below max.
   */
  layerFromBackground(d: FakeDocument, alpha: (x: number, y: number) => number): void {
    const bg = d.backgroundLayer;
    if (!bg) throw new Error('no Background layer');
    const data = allocate(d.width, d.height, 4, d.depth);
    for (let y = 0; y < d.height; y++) for (let x = 0; x < d.width; x++) {
      const p = y * d.width + x;
      for (let c = 0; c < 3; c++) data[p * 4 + c] = bg.data[p * 3 + c];
      data[p * 4 + 3] = alpha(x, y);
    }
    d.layersList = d.layersList.map((l) => (l === bg ? new FakeLayer(state.nextId++, 'Layer 0', false, data, 4) : l));
  },
  deselect(d: FakeDocument): void {
    d.selection.mask = null;
  },
  /** Another plugin or a dialog holds the modal scope: executeAsModal fails with number 9. */
  holdModal(held: boolean): void {
    state.heldByOther = held;
  },
  /** The user presses Cancel as soon as a step reports progress. */
  cancelOnProgress(on: boolean): void {
    state.cancelOnProgress = on;
  },
  /**
   * Injected fault: every putPixels call acts as if the caller passed `replace: value`
   * (`true` reproduces an adapter that passes true, against the documented semantics).
   */
  forceReplace(value: boolean | undefined): void {
    state.faults.forceReplace = value;
  },
  /** Injected fault: a Photoshop that ignores the `chunky` option and uses planar data. */
  dropChunky(on: boolean): void {
    state.faults.dropChunky = on;
  },
  /** Injected fault: image data read back in blue-green-red order, as its pixelFormat says. */
  componentsBgr(on: boolean): void {
    state.faults.bgr = on;
  },
  /** A deliberately broken Photoshop: putPixels accepts the call and changes nothing. */
  breakPutPixels(on: boolean): void {
    state.ignorePutPixels = on;
  },
  liveImageDataCount: (): number => state.liveImageData.size,
  /** How many documents are open (the user's and any the adapter opened or created). */
  openDocumentCount: (): number => state.docs.length,
  /** Documents closed by executeAsModal's auto-close (executeasmodal.md "Automatic document closing"). */
  autoClosedCount: (): number => state.autoClosed,
  /** Registered documents the plugin closed itself without unregistering first (should stay 0). */
  closedWhileRegisteredCount: (): number => state.closedWhileRegistered,
  /**
   * The user presses Cancel just as the adapter asks for the Photoshop event `what` (e.g.
   * 'putPixels', 'getPixels', 'convertToProfile', 'convertMode'); that call then raises.
   */
  userCancelsAt(what: string | null): void {
    state.cancelAt = what;
  },
  /**
   * The user opens a flat document in another colour mode, given in that mode's own channels
   * (see LayerComponents: Grayscale 1, CMYK 4, Lab 3, Bitmap 1 with 0/max, Indexed 3 as RGB).
   */
  openInMode(mode: string, values: Uint8Array | Uint16Array, width: number, height: number, title: string, options: { profile?: string } = {}): FakeDocument {
    const comps = MODE_CHANNELS[mode];
    if (!comps) throw new Error(`unknown mode ${mode}`);
    if (values.length !== width * height * comps) throw new Error(`${values.length} values for ${width}x${height}x${comps}`);
    const depth: 8 | 16 = values instanceof Uint16Array ? 16 : 8;
    const d = new FakeDocument({ title, width, height, depth, layers: [new FakeLayer(state.nextId++, 'Background', true, values.slice(), comps)], metadataSource: null, profile: options.profile ?? (mode === constants.DocumentMode.RGB ? SRGB : '') });
    d.mode = mode;
    state.docs.push(d);
    state.active = d;
    return d;
  },
  modalWaits: (): number[] => [...state.modalWaits],
  progress: (): number[] => [...state.progress],
  inModal: (): boolean => state.modal !== null,
};

export type { FakeDocument };
