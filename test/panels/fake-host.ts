import sharp from 'sharp';
import type {
  DocumentInfo,
  ExportFormat,
  FileToWrite,
  Host,
  OutputFolder,
  SaveTarget,
  SelectionInfo,
  StepContext,
} from '../../src/actions';
import { DeidHostError, SRGB_PROFILE, type OpenedImage } from '../../src/actions';
import type { Rect } from '../../src/core/geometry';
import type { Mask, PixelBuffer } from '../../src/core/pixels/types';

/**
 * An in-memory Host for the panel tests: documents are 8-bit RGB pixel arrays, folders are maps
 * of bytes, exports are real JPEG/PNG bytes made by sharp (JPEGs carry an EXIF block, as
 * Photoshop's do, so the panel's export really has something to strip). Independent of the
 * faithful Photoshop fake in test/fakes: this one fakes the port, not Photoshop.
 */

export interface FakeFolder extends OutputFolder {
  readonly files: Map<string, Uint8Array>;
}

interface FakeDocument {
  info: DocumentInfo;
  pixels: PixelBuffer;
  selection: SelectionInfo | null;
}

const COMPONENTS = 3;

export function makeFolder(name: string): FakeFolder {
  return { name, files: new Map() };
}

/** A smooth gradient with a checker, so any obscuring changes pixels. */
export function gradient(width: number, height: number): PixelBuffer {
  const data = new Uint8Array(width * height * COMPONENTS);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * COMPONENTS;
      const checker = (x + y) % 2 === 0 ? 30 : 0;
      data[p] = Math.round((x * 200) / width) + checker;
      data[p + 1] = Math.round((y * 200) / height) + checker;
      data[p + 2] = 100;
    }
  }
  return { data, width, height, components: COMPONENTS, hasAlpha: false, maxValue: 255 };
}

function cut(src: PixelBuffer, r: Rect): PixelBuffer {
  const data = new Uint8Array(r.w * r.h * COMPONENTS);
  for (let y = 0; y < r.h; y++) {
    const from = ((r.y + y) * src.width + r.x) * COMPONENTS;
    data.set(src.data.subarray(from, from + r.w * COMPONENTS), y * r.w * COMPONENTS);
  }
  return { data, width: r.w, height: r.h, components: COMPONENTS, hasAlpha: false, maxValue: 255 };
}

export class FakeHost implements Host {
  readonly docs = new Map<number, FakeDocument>();
  activeId: number | null = null;
  private nextId = 1;
  private inStep = false;
  /** What chooseOutputFolder answers next (null = the user cancelled). */
  folderChoice: FakeFolder | null = makeFolder('Exports');
  remembered: FakeFolder | null = null;
  readonly temp = makeFolder('plugin-temp');
  saveChoice: (SaveTarget & { folder: FakeFolder }) | null = null;
  readonly saved = new Map<string, Uint8Array>();
  /** Thrown by the next runStep, once (e.g. Photoshop busy). */
  failNextStep: DeidHostError | null = null;
  /** Fractions each step reports, in order. */
  readonly progress: number[] = [];
  readonly stepNames: string[] = [];
  pickerOpens = 0;

  /** Opens a document as the user would before pressing Start. */
  open(title: string, pixels: PixelBuffer): DocumentInfo {
    const info: DocumentInfo = { id: this.nextId++, title, width: pixels.width, height: pixels.height, bitDepth: 8, mode: 'rgb', profile: SRGB_PROFILE, resolution: 72 };
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
    if (this.activeId === null) throw new Error('fake host: no active document');
    return this.activeId;
  }

  private doc(id: number): FakeDocument {
    const d = this.docs.get(id);
    if (!d) throw new DeidHostError('no-document', `document ${id} is not open`);
    return d;
  }

  private modal(what: string): void {
    if (!this.inStep) throw new Error(`fake host: ${what} called outside runStep`);
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
    if (this.inStep) throw new DeidHostError('busy', 'fake host: nested runStep');
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
    return this.open(name, { ...src.pixels, data: src.pixels.data.slice() });
  }

  async createSyntheticDocument(name: string, pixels: PixelBuffer): Promise<DocumentInfo> {
    this.modal('createSyntheticDocument');
    return this.open(name, { ...pixels, data: pixels.data.slice() });
  }

  async convertToSrgb(docId: number): Promise<boolean> {
    this.modal('convertToSrgb');
    return this.doc(docId).info.profile !== SRGB_PROFILE;
  }

  async selectEllipse(docId: number, rect: Rect): Promise<void> {
    this.modal('selectEllipse');
    const data = new Uint8Array(rect.w * rect.h);
    for (let y = 0; y < rect.h; y++) for (let x = 0; x < rect.w; x++) {
      data[y * rect.w + x] = ((x + 0.5 - rect.w / 2) / (rect.w / 2)) ** 2 + ((y + 0.5 - rect.h / 2) / (rect.h / 2)) ** 2 <= 1 ? 255 : 0;
    }
    this.doc(docId).selection = { bounds: rect, mask: { data, bounds: rect } };
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
    const { pixels } = this.doc(docId);
    const image = sharp(Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength), {
      raw: { width: pixels.width, height: pixels.height, channels: COMPONENTS },
    });
    const out =
      format === 'png'
        ? await image.png().toBuffer()
        : await image.withExif({ IFD0: { Artist: 'Dr Example', Software: 'Adobe Photoshop 25.0' } }).jpeg({ quality: 95 }).toBuffer();
    return new Uint8Array(out);
  }

  async closeWithoutSaving(docId: number): Promise<void> {
    this.modal('closeWithoutSaving');
    this.docs.delete(docId);
    if (this.activeId === docId) this.activeId = null;
  }

  async inspectImage<T>(folder: OutputFolder, name: string, use: (image: OpenedImage) => Promise<T>): Promise<T> {
    this.modal('inspectImage');
    const bytes = (folder as FakeFolder).files.get(name);
    if (!bytes) throw new DeidHostError('host', `${name} is not in ${folder.name}`);
    const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixels: PixelBuffer = { data: new Uint8Array(data), width: info.width, height: info.height, components: COMPONENTS, hasAlpha: false, maxValue: 255 };
    return use({ width: info.width, height: info.height, readRegion: async (r) => cut(pixels, r) });
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
    for (const f of files) (folder as FakeFolder).files.set(f.name, f.bytes.slice());
  }

  async readFile(folder: OutputFolder, name: string): Promise<Uint8Array | null> {
    return (folder as FakeFolder).files.get(name) ?? null;
  }

  async removeFile(folder: OutputFolder, name: string): Promise<void> {
    (folder as FakeFolder).files.delete(name);
  }

  async chooseFileToSave(): Promise<SaveTarget | null> {
    this.pickerOpens++;
    return this.saveChoice;
  }

  async writeSaveTarget(target: SaveTarget, bytes: Uint8Array): Promise<void> {
    this.saved.set(target.name, bytes.slice());
  }

  isInFolder(target: SaveTarget, folder: OutputFolder): boolean {
    return (target as SaveTarget & { folder: FakeFolder }).folder === folder;
  }

  async listFiles(folder: OutputFolder): Promise<string[]> {
    return [...(folder as FakeFolder).files.keys()];
  }
}
