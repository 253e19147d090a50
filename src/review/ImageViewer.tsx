import { useEffect, useRef, useState } from 'react';
import type { PossibleView, RegionView } from './api-types';
import { POSSIBLE_WORDS } from './ResidualCheck';

interface Props {
  /** An object URL of the image's bytes (ItemView fetches them), or null while they load. */
  src: string | null;
  width: number;
  height: number;
  regions: RegionView[];
  /** The residual check's uncovered detections: drawn dashed, apart from the recorded regions. */
  possible?: PossibleView[];
}

const ZOOM_STEPS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8];

function label(r: RegionView): string {
  const method = r.op === 'pixelate' ? `mosaic ${r.cellSize ?? '?'} px` : 'overlay';
  return `${r.number} · ${r.regionKind ?? 'region'} · ${method}`;
}

/**
 * The export shown to fit its pane, with zoom, and the recorded regions outlined and labelled
 * (kind, method, cell size), and what the detectors found uncovered in dashed amber boxes. Both
 * can be hidden to look underneath them.
 */
export function ImageViewer({ src, width, height, regions, possible = [] }: Props): JSX.Element {
  const pane = useRef<HTMLDivElement>(null);
  const [zoom, setZoom] = useState<'fit' | number>('fit');
  const [fit, setFit] = useState(1);
  const [outlines, setOutlines] = useState(true);

  useEffect(() => {
    const el = pane.current;
    if (!el) return undefined;
    const measure = (): void => {
      const w = el.clientWidth - 16;
      const h = el.clientHeight - 16;
      if (w > 0 && h > 0) setFit(Math.min(w / width, h / height));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [width, height]);

  const scale = zoom === 'fit' ? fit : zoom;
  const stepZoom = (dir: 1 | -1): void => {
    const next = dir > 0 ? ZOOM_STEPS.find((z) => z > scale + 1e-6) : [...ZOOM_STEPS].reverse().find((z) => z < scale - 1e-6);
    if (next !== undefined) setZoom(next);
  };

  return (
    <section className="viewer" aria-label="Image">
      <div className="viewer-tools">
        <button type="button" onClick={() => setZoom('fit')} aria-pressed={zoom === 'fit'} data-testid="zoom-fit">Fit</button>
        <button type="button" onClick={() => stepZoom(-1)} data-testid="zoom-out" aria-label="Zoom out">−</button>
        <button type="button" onClick={() => setZoom(1)} data-testid="zoom-100">100%</button>
        <button type="button" onClick={() => stepZoom(1)} data-testid="zoom-in" aria-label="Zoom in">+</button>
        <span className="muted" data-testid="zoom-level">{`${Math.round(scale * 100)}%`}</span>
        <label className="toggle">
          <input type="checkbox" checked={outlines} onChange={(e) => setOutlines(e.target.checked)} data-testid="toggle-outlines" />
          Outlines
        </label>
      </div>
      <div className="viewer-pane" ref={pane}>
        <div className="canvas" style={{ width: width * scale, height: height * scale }}>
          {src !== null ? (
            <img src={src} alt="The de-identified export under review" width={width * scale} height={height * scale} draggable={false} data-testid="image" />
          ) : (
            <p className="muted" data-testid="image-loading">Loading the image...</p>
          )}
          {outlines ? (
            <svg className="outlines" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" data-testid="outlines">
              {regions.map((r) => (
                <g key={r.number} className={r.ok ? 'region ok' : 'region fail'}>
                  <rect x={r.region.x} y={r.region.y} width={r.region.w} height={r.region.h} vectorEffect="non-scaling-stroke" />
                  <text x={r.region.x + 4 / scale} y={r.region.y + 16 / scale} fontSize={13 / scale}>{label(r)}</text>
                </g>
              ))}
            </svg>
          ) : null}
          {outlines && possible.length > 0 ? (
            <svg className="outlines" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" data-testid="possible-boxes">
              {possible.map((p, i) => (
                <g key={i} className={`possible possible-${p.kind}`} data-testid={`possible-box-${i + 1}`}>
                  <rect x={p.box.x} y={p.box.y} width={p.box.w} height={p.box.h} vectorEffect="non-scaling-stroke" />
                  <text x={p.box.x + 4 / scale} y={p.box.y + p.box.h - 6 / scale} fontSize={13 / scale}>{`${i + 1} · ${POSSIBLE_WORDS[p.kind]}`}</text>
                </g>
              ))}
            </svg>
          ) : null}
        </div>
      </div>
    </section>
  );
}
