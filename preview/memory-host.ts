import type { DocumentInfo, ExportFormat, FileToWrite, Host, OpenedImage, OutputFolder, SaveTarget, SelectionInfo, StepContext, SyntheticOptions } from '../src/actions';
import { DeidHostError, SRGB_PROFILE } from '../src/actions';
import { adobeRgbToSrgb } from '../src/actions/srgb-expect';
import type { Rect } from '../src/core/geometry';
import type { Mask, PixelBuffer } from '../src/core/pixels/types';

/**
 * The Host port held in memory: documents are RGB pixel arrays (8-bit, or 16-bit 0..32768 as
 * Photoshop's), folders are maps of bytes, exports are real JPEG/PNG bytes from a Codec. The
 * panel's jest tests use it with sharp (test/panels/fake-host.ts); the browser preview with the
 * browser's own canvas encoder (preview/canvas-codec.ts). It fakes the PORT, not Photoshop:
 * the Photoshop adapter is tested against test/fakes, which follows Adobe's documentation.
 */
export interface Codec {
  /** 8-bit RGB in; file bytes out (JPEGs may carry metadata, as Photoshop's do). */
  encode(pixels: PixelBuffer, format: ExportFormat): Promise<Uint8Array>;
  /** File bytes in; 8-bit RGB out. */
  decode(bytes: Uint8Array): Promise<PixelBuffer>;
}

export interface MemoryFolder extends OutputFolder {
  readonly files: Map<string, Uint8Array>;
}

interface MemoryDocument {
  info: DocumentInfo;
  pixels: PixelBuffer;
  selection: SelectionInfo | null;
}

const COMPONENTS = 3;
const PS16_MAX = 32768;

export function makeFolder(name: string): MemoryFolder {
  return { name, files: new Map() };
}

function allocate(like: PixelBuffer, length: number): Uint8Array | Uint16Array {
  return like.data instanceof Uint16Array ? new Uint16Array(length) : new Uint8Array(length);
}

/** The ellipse inscribed in `rect`, as a selection mask (no anti-aliasing). */
export function ellipseMask(rect: Rect): Mask {
  const data = new Uint8Array(rect.w * rect.h);
  for (let y = 0; y < rect.h; y++) for (let x = 0; x < rect.w; x++) {
    data[y * rect.w + x] = ((x + 0.5 - rect.w / 2) / (rect.w / 2)) ** 2 + ((y + 0.5 - rect.h / 2) / (rect.h / 2)) ** 2 <= 1 ? 255 : 0;
  }
  return { data, bounds: rect };
}

export function cut(src: PixelBuffer, r: Rect): PixelBuffer {
  const data = allocate(src, r.w * r.h * COMPONENTS);
  for (let y = 0; y < r.h; y++) {
    const from = ((r.y + y) * src.width + r.x) * COMPONENTS;
    data.set(src.data.subarray(from, from + r.w * COMPONENTS), y * r.w * COMPONENTS);
  }
  return { ...src, data, width: r.w, height: r.h, components: COMPONENTS, hasAlpha: false };
}

function toEightBit(p: PixelBuffer): PixelBuffer {
  if (p.maxValue === 255) return p;
  return { ...p, data: Uint8Array.from(p.data, (v) => Math.round((v * 255) / p.maxValue)), maxValue: 255 };
}

export class MemoryHost implements Host {
  readonly docs = new Map<number, MemoryDocument>();
  activeId: number | null = null;
  private nextId = 1;
  private inStep = false;
  /** What chooseOutputFolder answers next (null = the user cancelled). */
  folderChoice: MemoryFolder | null = makeFolder('Exports');
  remembered: MemoryFolder | null = null;
  readonly temp = makeFolder('plugin-temp');
  saveChoice: (SaveTarget & { folder: MemoryFolder }) | null = null;
  readonly saved = new Map<string, Uint8Array>();
  /** Thrown by the next runStep, once (e.g. Photoshop busy). */
  failNextStep: DeidHostError | null = null;
  /** Fractions each step reports, in order. */
  readonly progress: number[] = [];
  readonly stepNames: string[] = [];
  pickerOpens = 0;

  constructor(private readonly codec: Codec) {}

  /** Opens a document as the user would before pressing Start. */
  open(title: string, pixels: PixelBuffer, options: SyntheticOptions = {}): DocumentInfo {
    const bitDepth = pixels.maxValue === PS16_MAX ? 16 : 8;
    const info: DocumentInfo = { id: this.nextId++, title, width: pixels.width, height: pixels.height, bitDepth, mode: 'rgb', profile: options.profile ?? SRGB_PROFILE, resolution: options.resolution ?? 72 };
    this.docs.set(info.id, { info, pixels, selection: null });
    this.activeId = info.id;
    return info;
  }

  /** The user draws a rectangular selection in the document in front. */
  select(rect: Rect): void {
    this.doc(this.requireActive()).selection = { bounds: rect, mask: null };
  }

  /** A non-rectangular selection (lasso, ellipse): its mask, placed at mask.bounds. */
  selectMask(mask: Mask): void {
    this.doc(this.requireActive()).selection = { bounds: mask.bounds, mask };
  }

  activePixels(): PixelBuffer {
    return this.doc(this.requireActive()).pixels;
  }

  private requireActive(): number {
    if (this.activeId === null) throw new Error('memory host: no active document');
    return this.activeId;
  }

  protected doc(id: number): MemoryDocument {
    const d = this.docs.get(id);
    if (!d) throw new DeidHostError('no-document', `document ${id} is not open`);
    return d;
  }

  private modal(what: string): void {
    if (!this.inStep) throw new Error(`memory host: ${what} called outside runStep`);
  }

  async activeDocument(): Promise<DocumentInfo | null> {
    return this.activeId === null ? null : { ...this.doc(this.activeId).info };
  }

  async runStep<T>(name: string, fn: (ctx: StepContext) => Promise<T>): Promise<T> {
    this.stepNames.push(name);
    if (this.failNextStep) {
      const e = this.failNextStep;
      this.failNextStep = null;
      throw e;
    }
    if (this.inStep) throw new DeidHostError('busy', 'memory host: nested runStep');
    this.inStep = true;
    try {
      return await fn({ reportProgress: (f) => this.progress.push(f), isCancelled: false });
    } finally {
      this.inStep = false;
    }
  }

  async duplicateFlattened(sourceId: number, name: string): Promise<DocumentInfo> {
    this.modal('duplicateFlattened');
    const src = this.doc(sourceId);
    return this.open(name, { ...src.pixels, data: src.pixels.data.slice() }, { profile: src.info.profile, resolution: src.info.resolution });
  }

  async createSyntheticDocument(name: string, pixels: PixelBuffer, options?: SyntheticOptions): Promise<DocumentInfo> {
    this.modal('createSyntheticDocument');
    return this.open(name, { ...pixels, data: pixels.data.slice() }, options);
  }

  /** Adobe RGB converts (the only other profile this host knows); sRGB is left alone. */
  async convertToSrgb(docId: number): Promise<boolean> {
    this.modal('convertToSrgb');
    const d = this.doc(docId);
    if (d.info.profile === SRGB_PROFILE) return false;
    if (d.info.profile !== 'Adobe RGB (1998)') throw new DeidHostError('unsupported', `memory host: cannot convert from "${d.info.profile}"`);
    const { data, maxValue } = d.pixels;
    for (let p = 0; p < data.length; p += COMPONENTS) {
      const out = adobeRgbToSrgb([data[p] / maxValue, data[p + 1] / maxValue, data[p + 2] / maxValue]);
      for (let c = 0; c < COMPONENTS; c++) data[p + c] = Math.round(out[c] * maxValue);
    }
    d.info = { ...d.info, profile: SRGB_PROFILE };
    return true;
  }

  async selectEllipse(docId: number, rect: Rect): Promise<void> {
    this.modal('selectEllipse');
    this.doc(docId).selection = { bounds: rect, mask: ellipseMask(rect) };
  }

  async selectRectangle(docId: number, rect: Rect): Promise<void> {
    this.modal('selectRectangle');
    this.doc(docId).selection = { bounds: rect, mask: null };
  }

  async selection(docId: number): Promise<SelectionInfo | null> {
    this.modal('selection');
    return this.doc(docId).selection;
  }

  async readPixels(docId: number, rect: Rect): Promise<PixelBuffer> {
    this.modal('readPixels');
    return cut(this.doc(docId).pixels, rect);
  }

  async writePixels(docId: number, pixels: PixelBuffer, at: { x: number; y: number }): Promise<void> {
    this.modal('writePixels');
    const dst = this.doc(docId).pixels;
    for (let y = 0; y < pixels.height; y++) {
      const from = y * pixels.width * COMPONENTS;
      dst.data.set(pixels.data.subarray(from, from + pixels.width * COMPONENTS), ((at.y + y) * dst.width + at.x) * COMPONENTS);
    }
  }

  async crop(docId: number, rect: Rect): Promise<void> {
    this.modal('crop');
    const d = this.doc(docId);
    d.pixels = cut(d.pixels, rect);
    d.info = { ...d.info, width: rect.w, height: rect.h };
    d.selection = null;
  }

  async flatten(): Promise<void> {
    this.modal('flatten');
  }

  async exportCopy(docId: number, format: ExportFormat): Promise<Uint8Array> {
    this.modal('exportCopy');
    const d = this.doc(docId);
    if (format === 'jpeg' && d.pixels.maxValue !== 255) {
      // Photoshop's JPEG is 8-bit; the adapter converts the document first, and so does this host.
      d.pixels = toEightBit(d.pixels);
      d.info = { ...d.info, bitDepth: 8 };
    }
    return this.codec.encode(toEightBit(d.pixels), format);
  }

  async closeWithoutSaving(docId: number): Promise<void> {
    this.modal('closeWithoutSaving');
    this.docs.delete(docId);
    if (this.activeId === docId) this.activeId = null;
  }

  async inspectImage<T>(folder: OutputFolder, name: string, use: (image: OpenedImage) => Promise<T>): Promise<T> {
    this.modal('inspectImage');
    const bytes = (folder as MemoryFolder).files.get(name);
    if (!bytes) throw new DeidHostError('host', `${name} is not in ${folder.name}`);
    const pixels = await this.codec.decode(bytes);
    return use({ width: pixels.width, height: pixels.height, readRegion: async (r) => cut(pixels, r) });
  }

  async chooseOutputFolder(): Promise<OutputFolder | null> {
    this.pickerOpens++;
    if (this.folderChoice) this.remembered = this.folderChoice;
    return this.folderChoice;
  }

  async rememberedOutputFolder(): Promise<OutputFolder | null> {
    return this.remembered;
  }

  async temporaryFolder(): Promise<OutputFolder> {
    return this.temp;
  }

  async writeFilesAtomically(folder: OutputFolder, files: FileToWrite[]): Promise<void> {
    for (const f of files) (folder as MemoryFolder).files.set(f.name, f.bytes.slice());
  }

  async readFile(folder: OutputFolder, name: string): Promise<Uint8Array | null> {
    return (folder as MemoryFolder).files.get(name) ?? null;
  }

  async removeFile(folder: OutputFolder, name: string): Promise<void> {
    (folder as MemoryFolder).files.delete(name);
  }

  async chooseFileToSave(): Promise<SaveTarget | null> {
    this.pickerOpens++;
    return this.saveChoice;
  }

  async writeSaveTarget(target: SaveTarget, bytes: Uint8Array): Promise<void> {
    this.saved.set(target.name, bytes.slice());
  }

  isInFolder(target: SaveTarget, folder: OutputFolder): boolean {
    return (target as SaveTarget & { folder: MemoryFolder }).folder === folder;
  }

  async listFiles(folder: OutputFolder): Promise<string[]> {
    return [...(folder as MemoryFolder).files.keys()];
  }
}
