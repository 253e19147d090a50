/**
 * UTF-8 for sidecars and records. TextEncoder/TextDecoder are not in UXP's documented global
 * members (AdobeDocs/uxp src/pages/uxp-api/reference-js/Global Members), so they are looked up
 * when first used, never at module load: a UXP without them still registers the panel, and
 * the step that needs them fails with this message instead.
 */
function missing(name: string): Error {
  return new Error(`${name} is not available in this version of UXP; update Photoshop to use this step.`);
}

export function utf8Encode(text: string): Uint8Array {
  if (typeof TextEncoder === 'undefined') throw missing('TextEncoder');
  return new TextEncoder().encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  if (typeof TextDecoder === 'undefined') throw missing('TextDecoder');
  return new TextDecoder().decode(bytes);
}
