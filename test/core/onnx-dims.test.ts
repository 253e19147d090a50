import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { freeSpatialDims } from '../../src/core/detect/onnx-dims';
import { REPO } from '../helpers/paths';

/**
 * The oracle is protobufjs reading the edited bytes with the field numbers of onnx/onnx.proto
 * (a subset: nodes and weights are kept as raw bytes, so "unchanged" is checked byte for byte).
 */
const onnx = protobuf.Root.fromJSON({
  nested: {
    Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
    Shape: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
    Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'Shape', id: 2 } } },
    TypeProto: { fields: { tensorType: { type: 'Tensor', id: 1 } } },
    ValueInfo: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
    Graph: {
      fields: {
        node: { rule: 'repeated', type: 'bytes', id: 1 },
        name: { type: 'string', id: 2 },
        initializer: { rule: 'repeated', type: 'bytes', id: 5 },
        input: { rule: 'repeated', type: 'ValueInfo', id: 11 },
        output: { rule: 'repeated', type: 'ValueInfo', id: 12 },
      },
    },
    Model: { fields: { irVersion: { type: 'int64', id: 1 }, producerName: { type: 'string', id: 2 }, graph: { type: 'Graph', id: 7 }, opsetImport: { rule: 'repeated', type: 'bytes', id: 8 } } },
  },
});
const Model = onnx.lookupType('Model');

interface Dim { dimValue?: number | { toNumber(): number }; dimParam?: string }
interface Info { name: string; type: { tensorType: { shape: { dim: Dim[] } } } }
interface Decoded { irVersion: unknown; graph: { node: Uint8Array[]; initializer: Uint8Array[]; input: Info[]; output: Info[] }; opsetImport: Uint8Array[] }

const decode = (bytes: Uint8Array): Decoded => Model.toObject(Model.decode(bytes), { longs: Number, defaults: false }) as unknown as Decoded;
const dims = (info: Info): (number | string)[] => info.type.tensorType.shape.dim.map((d) => d.dimParam ?? Number(d.dimValue));
const bytesOf = (list: readonly Uint8Array[]) => list.map((b) => Buffer.from(b).toString('hex'));

const MODEL = path.join(REPO, 'node_modules', 'retinaface', 'mnet.25_v2.onnx');

function valueInfo(name: string, shape: number[]) {
  return { name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((v) => ({ dimValue: v })) } } } };
}

describe('freeSpatialDims on the RetinaFace model the face detector loads', () => {
  const original = new Uint8Array(readFileSync(MODEL));
  const freed = freeSpatialDims(original, 'data', [2, 3]);
  const before = decode(original);
  const after = decode(freed);

  test('the input and every output get symbolic height and width; batch and channels stay', () => {
    expect(dims(before.graph.input.find((i) => i.name === 'data')!)).toEqual([1, 3, 640, 640]);
    expect(dims(after.graph.input.find((i) => i.name === 'data')!)).toEqual([1, 3, 'in_2', 'in_3']);
    expect(after.graph.output).toHaveLength(9);
    after.graph.output.forEach((o, k) => {
      const was = dims(before.graph.output[k]!);
      expect(dims(o)).toEqual([was[0], was[1], `out${k}_2`, `out${k}_3`]);
      expect(o.name).toBe(before.graph.output[k]!.name);
    });
  });

  test('every node, weight and opset import is byte for byte what it was', () => {
    expect(after.graph.node.length).toBeGreaterThan(100);
    expect(bytesOf(after.graph.node)).toEqual(bytesOf(before.graph.node));
    expect(bytesOf(after.graph.initializer)).toEqual(bytesOf(before.graph.initializer));
    expect(bytesOf(after.opsetImport)).toEqual(bytesOf(before.opsetImport));
    expect(after.irVersion).toEqual(before.irVersion);
  });
});

describe('freeSpatialDims on models built here', () => {
  // IR version 3 lists weights among the graph inputs (onnx/IR.md "Graphs"): a weight's shape
  // must survive even when it looks like an image's.
  const model = (inputs: ReturnType<typeof valueInfo>[]) =>
    Model.encode(
      Model.fromObject({
        irVersion: 3,
        producerName: 'deid-test',
        graph: { name: 'g', node: [new Uint8Array([10, 1, 120])], initializer: [new Uint8Array([8, 4])], input: inputs, output: [valueInfo('y', [1, 2, 20, 20])] },
      }),
    ).finish();

  test('only the named input is freed; a weight listed among the inputs keeps its shape', () => {
    const out = decode(freeSpatialDims(model([valueInfo('conv_w', [8, 3, 640, 640]), valueInfo('data', [1, 3, 640, 640])]), 'data', [2, 3]));
    expect(out.graph.input.map((i) => [i.name, dims(i)])).toEqual([
      ['conv_w', [8, 3, 640, 640]],
      ['data', [1, 3, 'in_2', 'in_3']],
    ]);
    expect(dims(out.graph.output[0]!)).toEqual([1, 2, 'out0_2', 'out0_3']);
  });

  test('a model without that input, or bytes that are not a model, are refused', () => {
    expect(() => freeSpatialDims(model([valueInfo('image', [1, 3, 640, 640])]), 'data', [2, 3])).toThrow(/no graph input named "data"/);
    expect(() => freeSpatialDims(new Uint8Array([0x08, 0x03]), 'data', [2, 3])).toThrow(/no graph/);
    expect(() => freeSpatialDims(new Uint8Array(0), 'data', [2, 3])).toThrow(/no graph/);
  });

  test('truncated or garbled bytes throw an error, never loop or return a model', () => {
    const whole = new Uint8Array(readFileSync(MODEL));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4000 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), (cut, junk) => {
        // Cut inside the graph (it starts within the first bytes and runs to the end).
        expect(() => freeSpatialDims(whole.subarray(0, whole.length - cut), 'data', [2, 3])).toThrow();
        let threw = false;
        try {
          freeSpatialDims(junk, 'data', [2, 3]);
        } catch {
          threw = true;
        }
        expect(threw).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
