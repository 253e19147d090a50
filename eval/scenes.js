'use strict';
/**
 * The detection evaluation set (issue 11): a few real photographs with a clear licence
 * (eval/SOURCES.md) plus synthetic clinic scenes drawn here from a fixed seed: faces from those
 * photographs at the four quarter turns, some partly covered, on plain or photographic
 * backgrounds, with wristbands at angles, badges, chart labels and date stamps set in DejaVu
 * (fonts-dejavu-core). Every scene is one SVG rendered by sharp (librsvg), so each label is
 * computed from the same transform that placed the thing it labels.
 *
 * `node eval/scenes.js` rewrites eval/labels.json; bench/detect.js renders the images into a
 * temporary folder and refuses to score if their labels differ from the committed file.
 */
const fs = require('node:fs');
const path = require('node:path');

const SOURCES = path.join(__dirname, 'sources');
const LABELS = path.join(__dirname, 'labels.json');

/** Face boxes in the source photographs (checked by eye), and the head crop used in scenes. */
const FACES = [
  { file: 'astronaut.jpg', size: [512, 512], face: { x: 181, y: 72, w: 84, h: 103 }, crop: { x: 131, y: 12, w: 184, h: 210 } },
  { file: 'grace_hopper.jpg', size: [512, 600], face: { x: 169, y: 124, w: 183, h: 204 }, crop: { x: 110, y: 20, w: 300, h: 350 } },
  { file: 'camera.jpg', size: [512, 512], face: { x: 202, y: 119, w: 54, h: 81 }, crop: { x: 160, y: 60, w: 150, h: 170 } },
];

/** The real photographs scored as they are: faces and the text a person would obscure. */
const REAL = [
  { file: 'astronaut.jpg', labels: [
    { kind: 'face', box: FACES[0].face },
    { kind: 'text', box: { x: 279, y: 340, w: 50, h: 30 }, note: 'name tag' },
    { kind: 'text', box: { x: 133, y: 348, w: 78, h: 76 }, note: 'mission patch, ring of names' },
  ] },
  { file: 'grace_hopper.jpg', labels: [
    { kind: 'face', box: FACES[1].face },
    { kind: 'text', box: { x: 79, y: 484, w: 90, h: 30 }, note: 'name tag' },
  ] },
  { file: 'camera.jpg', labels: [{ kind: 'face', box: FACES[2].face }] },
  { file: 'coffee.jpg', labels: [] },
  { file: 'chelsea.jpg', labels: [] },
  { file: 'rocket.jpg', labels: [] },
];

const TILTS = [0, 30, 0, -45, 0, 15, 0, -25, 0, 40, 0, -10];
const BACKGROUNDS = ['coffee.jpg', 'chelsea.jpg', 'rocket.jpg'];
const SURNAMES = ['DOE', 'SMITH', 'OKAFOR', 'NOWAK', 'GARCIA', 'NGUYEN', 'MURPHY', 'KHAN', 'ROSSI', 'LINDQVIST'];
const GIVEN = ['JANE', 'JOHN', 'AMARA', 'PIOTR', 'LUCIA', 'MINH', 'AOIFE', 'IMRAN', 'GIULIA', 'ERIK'];
const ROLES = ['Staff Nurse', 'Registrar', 'Physiotherapist', 'Porter', 'Ward Sister', 'Consultant'];
const WARDS = ['Ward 7B', 'ICU 2', 'Ward 12', 'Day Unit', 'Ward 4A'];

// DejaVu Sans Mono: every glyph advances 1233/2048 em; ascender 0.76 em, descender 0.24 em.
const ADVANCE = 1233 / 2048;
const ASCENT = 0.76;
const DESCENT = 0.24;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function escapeXml(s) {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
}

/** Corners of a local rectangle after translate(tx, ty) rotate(deg) (SVG order), clockwise from top-left. */
function transformedQuad(local, tx, ty, deg) {
  const r = (deg * Math.PI) / 180;
  const c = Math.cos(r);
  const s = Math.sin(r);
  return [[local.x, local.y], [local.x + local.w, local.y], [local.x + local.w, local.y + local.h], [local.x, local.y + local.h]]
    .map(([x, y]) => [Math.round((tx + x * c - y * s) * 10) / 10, Math.round((ty + x * s + y * c) * 10) / 10]);
}

/** Axis-aligned box of a local rectangle after translate(tx, ty) rotate(deg). */
function transformedBox(local, tx, ty, deg) {
  const pts = transformedQuad(local, tx, ty, deg);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  return { x: Math.round(x0), y: Math.round(y0), w: Math.round(Math.max(...xs) - x0), h: Math.round(Math.max(...ys) - y0) };
}

function overlaps(a, b, pad) {
  return a.x < b.x + b.w + pad && b.x < a.x + a.w + pad && a.y < b.y + b.h + pad && b.y < a.y + a.h + pad;
}

/**
 * Text block: lines of monospace text on a card of colour `card`, drawn in local coordinates
 * around (0, 0) and placed by translate/rotate. Returns the SVG and each line's label box.
 */
function textBlock(lines, tx, ty, deg, opts) {
  const pad = opts.pad;
  const widths = lines.map((l) => l.text.length * ADVANCE * l.size);
  const w = Math.max(...widths) + 2 * pad;
  const h = lines.reduce((s, l) => s + l.size * 1.25, 0) + 2 * pad;
  let svg = `<g transform="translate(${tx.toFixed(1)} ${ty.toFixed(1)}) rotate(${deg.toFixed(2)})">`;
  if (opts.card) svg += `<rect x="${(-w / 2).toFixed(1)}" y="${(-h / 2).toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" rx="${opts.radius ?? 6}" fill="${opts.card}" stroke="#9a9a9a" stroke-width="1"/>`;
  if (opts.stripe) svg += `<rect x="${(-w / 2).toFixed(1)}" y="${(-h / 2).toFixed(1)}" width="${w.toFixed(1)}" height="${(pad * 0.8).toFixed(1)}" fill="${opts.stripe}"/>`;
  const labels = [];
  let y = -h / 2 + pad;
  lines.forEach((l, i) => {
    const baseline = y + l.size * (ASCENT + 0.12);
    const x = -w / 2 + pad;
    svg += `<text x="${x.toFixed(1)}" y="${baseline.toFixed(1)}" font-family="DejaVu Sans Mono" font-weight="${l.bold ? 'bold' : 'normal'}" font-size="${l.size}" fill="${l.color ?? '#111'}">${escapeXml(l.text)}</text>`;
    const local = { x, y: baseline - ASCENT * l.size, w: widths[i], h: (ASCENT + DESCENT) * l.size };
    // The quad is the line itself: a line at 45 degrees fills only part of its bounding box.
    labels.push({ kind: 'text', box: transformedBox(local, tx, ty, deg), quad: transformedQuad(local, tx, ty, deg), note: opts.what });
    y += l.size * 1.25;
  });
  svg += '</g>';
  return { svg, labels, extent: transformedBox({ x: -w / 2, y: -h / 2, w, h }, tx, ty, deg) };
}

function pick(rnd, list) {
  return list[Math.floor(rnd() * list.length)];
}

function digits(rnd, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rnd() * 10);
  return s;
}

function dataUri(file) {
  return `data:image/jpeg;base64,${fs.readFileSync(path.join(SOURCES, file)).toString('base64')}`;
}

/** One synthetic scene. `turns` says which quarter turn each face gets (balanced over the set). */
function scene(index, rnd) {
  const sizes = [[1600, 1200], [1200, 1600], [2000, 1500], [1800, 1200]];
  const [W, H] = index === 0 ? [4000, 3000] : sizes[index % sizes.length];
  const parts = [];
  const labels = [];
  const placed = [];
  const hue = Math.floor(rnd() * 360);
  parts.push(`<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},18%,82%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},12%,62%)"/></linearGradient></defs>`);
  parts.push(`<rect width="${W}" height="${H}" fill="url(#g)"/>`);
  // A bed sheet, a pillow and a tray: large flat shapes a text or face detector must leave alone.
  parts.push(`<rect x="${Math.round(W * 0.05)}" y="${Math.round(H * 0.55)}" width="${Math.round(W * 0.9)}" height="${Math.round(H * 0.4)}" rx="30" fill="#e8eef2"/>`);
  parts.push(`<ellipse cx="${Math.round(W * 0.3)}" cy="${Math.round(H * 0.62)}" rx="${Math.round(W * 0.12)}" ry="${Math.round(H * 0.06)}" fill="#f7f7f4"/>`);
  if (index % 3 === 1) {
    const bg = pick(rnd, BACKGROUNDS);
    const bw = Math.round(W * 0.3);
    const bx = Math.round(W * 0.65);
    const by = Math.round(H * 0.05);
    parts.push(`<image x="${bx}" y="${by}" width="${bw}" height="${Math.round(bw * 0.66)}" preserveAspectRatio="none" href="${dataUri(bg)}"/>`);
    placed.push({ x: bx, y: by, w: bw, h: Math.round(bw * 0.66) });
  }

  const tryPlace = (w, h) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const box = { x: Math.round(rnd() * (W - w)), y: Math.round(rnd() * (H - h)), w, h };
      if (!placed.some((p) => overlaps(p, box, 20))) {
        placed.push(box);
        return box;
      }
    }
    return null;
  };

  // Faces: 1-3, 40-420 px across, each at a quarter turn, a third of them partly covered.
  const nFaces = 1 + (index % 3);
  for (let f = 0; f < nFaces; f++) {
    const src = FACES[(index + f) % FACES.length];
    const turn = [0, 90, 180, 270][(index + f * 3) % 4];
    // Half the faces also lean off their quarter turn (a head on a pillow, a camera held askew),
    // up to 45 degrees either way, so every angle of the circle is in the set.
    const tilt = TILTS[(index * 3 + f) % TILTS.length];
    const deg = turn + tilt;
    const faceW = Math.round(40 * Math.pow(420 / 40, rnd()));
    const s = faceW / src.face.w;
    const cw = src.crop.w * s;
    const ch = src.crop.h * s;
    const rad = (deg * Math.PI) / 180;
    const turnedW = Math.abs(cw * Math.cos(rad)) + Math.abs(ch * Math.sin(rad));
    const turnedH = Math.abs(cw * Math.sin(rad)) + Math.abs(ch * Math.cos(rad));
    const spot = tryPlace(Math.ceil(turnedW), Math.ceil(turnedH));
    if (!spot) continue;
    const cx = spot.x + turnedW / 2;
    const cy = spot.y + turnedH / 2;
    // Local: the head crop centred on (0, 0) at scale s (a nested viewport clips the source photo
    // to the crop), then turned about that centre.
    const full = `<svg x="${(-cw / 2).toFixed(1)}" y="${(-ch / 2).toFixed(1)}" width="${cw.toFixed(1)}" height="${ch.toFixed(1)}" viewBox="${src.crop.x} ${src.crop.y} ${src.crop.w} ${src.crop.h}" preserveAspectRatio="none"><image x="0" y="0" width="${src.size[0]}" height="${src.size[1]}" href="${dataUri(src.file)}"/></svg>`;
    const faceLocal = { x: -cw / 2 + (src.face.x - src.crop.x) * s, y: -ch / 2 + (src.face.y - src.crop.y) * s, w: src.face.w * s, h: src.face.h * s };
    let g = `<g transform="translate(${cx.toFixed(1)} ${cy.toFixed(1)}) rotate(${deg})">${full}`;
    const partial = f === 1 && index % 2 === 0;
    if (partial) {
      // A sheet or mask over the lower third of the face: still a face a reviewer must catch.
      g += `<rect x="${(faceLocal.x - faceLocal.w * 0.1).toFixed(1)}" y="${(faceLocal.y + faceLocal.h * 0.68).toFixed(1)}" width="${(faceLocal.w * 1.2).toFixed(1)}" height="${(faceLocal.h * 0.5).toFixed(1)}" rx="6" fill="#9cc3d5"/>`;
    }
    g += '</g>';
    parts.push(g);
    labels.push({ kind: 'face', box: transformedBox(faceLocal, cx, cy, deg), turn, ...(tilt ? { tilt } : {}), partial });
  }

  // Text: a wristband at an angle, a badge, a chart label and sometimes a date stamp.
  const name = `${pick(rnd, SURNAMES)}, ${pick(rnd, GIVEN)}`;
  const items = [];
  const bandSize = Math.round(16 + rnd() * 14);
  const bandAngle = index % 4 === 3 ? 90 : Math.round(-60 + rnd() * 120);
  items.push({ what: 'wristband', deg: bandAngle, opts: { card: index % 2 ? '#fff6b0' : '#ffffff', pad: bandSize * 0.6, radius: bandSize }, lines: [
    { text: name, size: bandSize, bold: true },
    { text: `MRN ${digits(rnd, 8)}  DOB ${1 + Math.floor(rnd() * 28)}/${1 + Math.floor(rnd() * 12)}/19${digits(rnd, 2)}`, size: bandSize },
  ] });
  const badgeSize = Math.round(18 + rnd() * 18);
  items.push({ what: 'badge', deg: Math.round(-15 + rnd() * 30), opts: { card: '#ffffff', stripe: '#1d5fa8', pad: badgeSize * 1.1 }, lines: [
    { text: `${pick(rnd, GIVEN)} ${pick(rnd, SURNAMES)}`, size: badgeSize, bold: true },
    { text: pick(rnd, ROLES), size: Math.round(badgeSize * 0.75) },
    { text: `ID ${digits(rnd, 5)}`, size: Math.round(badgeSize * 0.75) },
  ] });
  if (index % 2 === 0) {
    const chartSize = Math.round(14 + rnd() * 12);
    items.push({ what: 'chart label', deg: Math.round(-5 + rnd() * 10), opts: { card: '#fdfdfd', pad: chartSize * 0.7, radius: 2 }, lines: [
      { text: `${pick(rnd, WARDS)}  Bed ${1 + Math.floor(rnd() * 30)}`, size: chartSize, bold: true },
      { text: `Hosp No: K${digits(rnd, 7)}`, size: chartSize },
      { text: `Dr ${pick(rnd, GIVEN)[0]}. ${pick(rnd, SURNAMES)}`, size: chartSize },
    ] });
  }
  if (index % 3 !== 2) {
    const stampSize = Math.round(22 + rnd() * 26);
    items.push({ what: 'date stamp', deg: 0, corner: true, opts: { pad: 2 }, lines: [
      { text: `20${digits(rnd, 2)} 0${1 + Math.floor(rnd() * 9)} ${10 + Math.floor(rnd() * 18)}`, size: stampSize, bold: true, color: '#ff8a1c' },
    ] });
  }
  for (const item of items) {
    const opts = { ...item.opts, what: item.what };
    const probe = textBlock(item.lines, 0, 0, item.deg, opts);
    const { w, h } = probe.extent;
    let spot;
    if (item.corner) {
      spot = { x: W - w - Math.round(W * 0.03), y: H - h - Math.round(H * 0.03), w, h };
      if (placed.some((p) => overlaps(p, spot, 10))) spot = tryPlace(w, h);
      else placed.push(spot);
    } else {
      spot = tryPlace(w, h);
    }
    if (!spot) continue;
    // Centre the block in its spot: probe.extent is relative to the block's own centre.
    const block = textBlock(item.lines, spot.x - probe.extent.x, spot.y - probe.extent.y, item.deg, opts);
    parts.push(block.svg);
    labels.push(...block.labels);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
  return { name: `scene-${String(index).padStart(2, '0')}.jpg`, width: W, height: H, svg, labels };
}

const SCENES = 24;
const SEED = 20261130;

/**
 * Renders the set into `outDir`; returns what labels.json holds. Deterministic: the same seed and
 * sources give the same labels (and, with the same libvips and fonts, the same pixels).
 */
async function buildEvalSet(outDir) {
  const sharp = require('sharp');
  fs.mkdirSync(outDir, { recursive: true });
  const images = [];
  for (const real of REAL) {
    const file = path.join(SOURCES, real.file);
    const meta = await sharp(file).metadata();
    fs.copyFileSync(file, path.join(outDir, real.file));
    images.push({ name: real.file, kind: 'photograph', width: meta.width, height: meta.height, labels: real.labels });
  }
  const rnd = mulberry32(SEED);
  for (let i = 0; i < SCENES; i++) {
    const s = scene(i, rnd);
    await sharp(Buffer.from(s.svg)).jpeg({ quality: 88 }).toFile(path.join(outDir, s.name));
    images.push({ name: s.name, kind: 'synthetic', width: s.width, height: s.height, labels: s.labels });
  }
  return { seed: SEED, images };
}

module.exports = { buildEvalSet, LABELS };

if (require.main === module) {
  const out = process.argv[2] || path.join(require('node:os').tmpdir(), 'deid-eval');
  buildEvalSet(out).then((set) => {
    fs.writeFileSync(LABELS, `${JSON.stringify(set, null, 1)}\n`);
    const n = set.images.reduce((a, im) => a + im.labels.length, 0);
    console.log(`${set.images.length} images, ${n} labels; images in ${out}, labels in ${LABELS}`);
  });
}
