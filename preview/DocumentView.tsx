import { useEffect, useReducer, useRef, useState } from 'react';
import type { Rect } from '../src/core/geometry';
import { toRgba } from './canvas-codec';
import type { MemoryFolder } from './memory-host';
import type { PreviewHost } from './preview-host';

type Shape = 'rectangle' | 'ellipse';

/** Where a mouse event falls in the image, in image pixels. */
function imagePoint(canvas: HTMLCanvasElement, e: { clientX: number; clientY: number }): { x: number; y: number } {
  const box = canvas.getBoundingClientRect();
  const x = Math.round(((e.clientX - box.left) * canvas.width) / box.width);
  const y = Math.round(((e.clientY - box.top) * canvas.height) / box.height);
  return { x: Math.min(canvas.width, Math.max(0, x)), y: Math.min(canvas.height, Math.max(0, y)) };
}

function rectBetween(a: { x: number; y: number }, b: { x: number; y: number }): Rect {
  return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) };
}

/**
 * Stands in for Photoshop's document window: shows the document in front, and the user draws a
 * rectangular or elliptical marquee on it by dragging. Below it, the files in the export folder.
 */
export function DocumentView({ host }: { host: PreviewHost }): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [shape, setShape] = useState<Shape>('rectangle');
  const [drag, setDrag] = useState<{ from: { x: number; y: number }; to: { x: number; y: number } } | null>(null);
  const [version, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => host.onChange(bump), [host]);

  const active = host.activeId === null ? null : host.docs.get(host.activeId) ?? null;
  useEffect(() => {
    const el = canvas.current;
    if (!el || !active) return;
    el.width = active.pixels.width;
    el.height = active.pixels.height;
    const ctx = el.getContext('2d');
    if (!ctx) return;
    ctx.putImageData(new ImageData(toRgba(active.pixels), active.pixels.width, active.pixels.height), 0, 0);
    const sel = drag ? rectBetween(drag.from, drag.to) : active.selection?.bounds;
    if (sel && sel.w > 0 && sel.h > 0) {
      ctx.save();
      ctx.lineWidth = Math.max(2, el.width / 300);
      ctx.setLineDash([8, 6]);
      ctx.strokeStyle = '#ffffff';
      const round = drag ? shape === 'ellipse' : active.selection?.mask != null;
      ctx.beginPath();
      if (round) ctx.ellipse(sel.x + sel.w / 2, sel.y + sel.h / 2, sel.w / 2, sel.h / 2, 0, 0, Math.PI * 2);
      else ctx.rect(sel.x, sel.y, sel.w, sel.h);
      ctx.stroke();
      ctx.restore();
    }
  }, [active, drag, shape, version]);

  const exports = host.folderChoice as MemoryFolder | null;
  const files = exports ? [...exports.files.keys()].sort() : [];
  return (
    <div className="document">
      <div className="toolbar">
        <span className="title" data-testid="document-title">{active ? `${active.info.title} (${active.info.width}x${active.info.height})` : 'No document open'}</span>
        <label>
          <input type="radio" name="shape" checked={shape === 'rectangle'} onChange={() => setShape('rectangle')} data-testid="marquee-rectangle" /> Rectangular marquee
        </label>
        <label>
          <input type="radio" name="shape" checked={shape === 'ellipse'} onChange={() => setShape('ellipse')} data-testid="marquee-ellipse" /> Elliptical marquee
        </label>
      </div>
      <canvas
        ref={canvas}
        data-testid="document-canvas"
        onMouseDown={(e) => {
          if (canvas.current) {
            const p = imagePoint(canvas.current, e);
            setDrag({ from: p, to: p });
          }
        }}
        onMouseMove={(e) => {
          if (drag && canvas.current) setDrag({ ...drag, to: imagePoint(canvas.current, e) });
        }}
        onMouseUp={(e) => {
          if (!drag || !canvas.current) return;
          const rect = rectBetween(drag.from, imagePoint(canvas.current, e));
          setDrag(null);
          if (rect.w > 0 && rect.h > 0) host.marquee(rect, shape);
        }}
      />
      <div className="files" data-testid="export-files">
        {`Export folder "${exports?.name ?? ''}": `}
        {files.length === 0 ? 'empty' : files.map((name) => (
          <a key={name} download={name} href={URL.createObjectURL(new Blob([exports?.files.get(name) as BlobPart]))}>
            {name}
          </a>
        ))}
      </div>
    </div>
  );
}
