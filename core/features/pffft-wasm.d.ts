/**
 * Types for the parts of @echogarden/pffft-wasm (an Emscripten module without its own typings)
 * that power-spectrum.ts uses: the module factory and the exported C functions, pointers as byte
 * offsets into the WASM heap.
 */
declare module '@echogarden/pffft-wasm/simd' {
  export interface PffftModule {
    readonly HEAPF32: Float32Array;
    /** kind 0 = real, 1 = complex; 0 when the size is not supported. */
    _pffft_new_setup(size: number, kind: number): number;
    _pffft_aligned_malloc(bytes: number): number;
    /** direction 0 = forward, 1 = backward; unnormalised. */
    _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
  }
  const factory: () => Promise<PffftModule>;
  export default factory;
}
