import type { StepContext } from '../src/actions';
import type { Rect } from '../src/core/geometry';
import { canvasCodec } from './canvas-codec';
import { ellipseMask, MemoryHost } from './memory-host';

/**
 * The preview's host: the in-memory one, telling the page after every step so the "document"
 * beside the panel shows what the step did.
 */
export class PreviewHost extends MemoryHost {
  private readonly listeners = new Set<() => void>();

  constructor() {
    super(canvasCodec);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const l of this.listeners) l();
  }

  override async runStep<T>(name: string, fn: (ctx: StepContext) => Promise<T>): Promise<T> {
    try {
      return await super.runStep(name, fn);
    } finally {
      this.changed();
    }
  }

  /** The user's marquee on the page: a rectangle, or the ellipse inscribed in it. */
  marquee(rect: Rect, shape: 'rectangle' | 'ellipse'): void {
    if (shape === 'rectangle') this.select(rect);
    else this.selectMask(ellipseMask(rect));
    this.changed();
  }
}
