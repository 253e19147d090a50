/**
 * tsconfig.uxp.json loads only the `photoshop` types: @adobe/cc-ext-uxp-types would bring a
 * global `fs` that clashes with @types/node in the test project, and it does not declare
 * `storage.localFileSystem` anyway. This declares just the export the adapter reads; its real
 * shape is described in uxp-types.ts.
 */
declare module 'uxp' {
  export const storage: unknown;
}
