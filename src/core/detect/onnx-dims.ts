import { joinBytes } from '../bytes';

/**
 * Frees fixed spatial dimensions declared on an ONNX model's graph inputs and outputs, so a fully
 * convolutional detector exported at one size (RetinaFace's ONNX says 1x3x640x640) runs on a
 * picture of any size. Only the declared shapes change; no node, weight or attribute is touched,
 * and every other byte of the model is copied as it was.
 *
 * Protobuf wire format (protobuf.dev/programming-guides/encoding): a field is a varint key
 * (number << 3 | wire type) then its value; wire type 2 is a varint length then that many bytes.
 * ONNX's schema (onnx/onnx.proto, IR version 3 and later):
 *   ModelProto.graph = 7; GraphProto.input = 11, output = 12; ValueInfoProto.name = 1, type = 2;
 *   TypeProto.tensor_type = 1; TypeProto.Tensor.shape = 2; TensorShapeProto.dim = 1;
 *   Dimension.dim_value = 1 (int64), dim_param = 2 (string).
 */

const LEN = 2;
const VARINT = 0;
const I64 = 1;
const I32 = 5;

interface Field {
  number: number;
  wire: number;
  /** Whole field, key included. */
  start: number;
  end: number;
  /** Value bytes of a length-delimited field. */
  body?: { start: number; end: number };
}

function readVarint(buf: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new Error(`ONNX model: a varint at byte ${at} runs past its message`);
}

function writeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function fieldsOf(buf: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let at = start;
  while (at < end) {
    const key = readVarint(buf, at);
    const number = Math.floor(key.value / 8);
    const wire = key.value % 8;
    let next: number;
    let body: Field['body'];
    if (wire === VARINT) next = readVarint(buf, key.next).next;
    else if (wire === I64) next = key.next + 8;
    else if (wire === I32) next = key.next + 4;
    else if (wire === LEN) {
      const len = readVarint(buf, key.next);
      body = { start: len.next, end: len.next + len.value };
      next = body.end;
    } else throw new Error(`ONNX model: wire type ${wire} at byte ${at} (groups are not used by onnx.proto)`);
    if (next > end) throw new Error(`ONNX model: field ${number} at byte ${at} runs past its message`);
    out.push({ number, wire, start: at, end: next, ...(body ? { body } : {}) });
    at = next;
  }
  return out;
}

/** A length-delimited field `number` holding `body`. */
function lenField(number: number, body: Uint8Array): Uint8Array {
  const head = [...writeVarint(number * 8 + LEN), ...writeVarint(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}


/**
 * The message in buf[start, end) with each length-delimited field `number` replaced by what
 * `edit` makes of its body (other fields byte for byte as they were).
 */
function rewrite(buf: Uint8Array, start: number, end: number, number: number, edit: (body: Uint8Array, index: number) => Uint8Array): Uint8Array {
  let index = 0;
  return joinBytes(
    fieldsOf(buf, start, end).map((f) =>
      f.number === number && f.wire === LEN && f.body ? lenField(number, edit(buf.subarray(f.body.start, f.body.end), index++)) : buf.subarray(f.start, f.end),
    ),
  );
}

/** Symbolic dimension names are ASCII by construction. */
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** ValueInfoProto.name (field 1), or '' when absent. */
function nameOf(info: Uint8Array): string {
  const f = fieldsOf(info, 0, info.length).find((x) => x.number === 1 && x.wire === LEN && x.body);
  return f?.body ? String.fromCharCode(...info.subarray(f.body.start, f.body.end)) : '';
}

/**
 * The model with the dimensions at `axes` of the graph input `input` and of every graph output
 * made symbolic, so the runtime takes their size from the tensor it is given. Only the named
 * input: models of IR version < 4 also list every weight among the graph inputs, and a weight's
 * shape must stay as it is. Throws when the bytes are not a model with a graph holding `input`.
 */
export function freeSpatialDims(model: Uint8Array, input: string, axes: readonly number[]): Uint8Array {
  const top = fieldsOf(model, 0, model.length);
  if (!top.some((f) => f.number === 7 && f.wire === LEN)) throw new Error('not an ONNX model: no graph (ModelProto field 7)');
  let found = false;
  const freed = (info: Uint8Array, prefix: string): Uint8Array =>
    rewrite(info, 0, info.length, 2, (type) =>
      rewrite(type, 0, type.length, 1, (tensor) =>
        rewrite(tensor, 0, tensor.length, 2, (shape) =>
          rewrite(shape, 0, shape.length, 1, (dim, axis) => (axes.includes(axis) ? lenField(2, ascii(`${prefix}_${axis}`)) : dim)),
        ),
      ),
    );
  const out = rewrite(model, 0, model.length, 7, (graph) => {
    const inputs = rewrite(graph, 0, graph.length, 11, (info) => {
      if (nameOf(info) !== input) return info;
      found = true;
      return freed(info, 'in');
    });
    return rewrite(inputs, 0, inputs.length, 12, (info, index) => freed(info, `out${index}`));
  });
  if (!found) throw new Error(`ONNX model has no graph input named "${input}"`);
  return out;
}
