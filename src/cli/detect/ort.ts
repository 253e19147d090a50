import { availableParallelism } from 'node:os';
import { packageFile, requireOptional } from './optional';

/** The slice of onnxruntime-web used here (an optional package: not imported for types). */
export interface OrtTensor { data: Float32Array; dims: readonly number[] }
export interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}
export interface Ort {
  env: { wasm: { numThreads: number; wasmPaths: string }; logLevel?: string };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: { create(model: string | Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
}

let loaded: Ort | undefined;

/**
 * onnxruntime-web's WebAssembly build, set up once for both detectors: its .wasm is read from
 * the installed package (no CDN), with one thread per core up to four.
 */
export function onnxRuntime(): Ort {
  if (loaded) return loaded;
  const ort = requireOptional<Ort>('onnxruntime-web');
  const wasm = packageFile('onnxruntime-web', 'dist/ort-wasm-simd-threaded.wasm');
  ort.env.wasm.wasmPaths = wasm.slice(0, wasm.lastIndexOf('/') + 1);
  ort.env.wasm.numThreads = Math.max(1, Math.min(4, availableParallelism()));
  ort.env.logLevel = 'error';
  loaded = ort;
  return ort;
}
