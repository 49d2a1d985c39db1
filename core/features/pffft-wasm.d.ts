/**
 * Types for the parts of @echogarden/pffft-wasm (an Emscripten module without its own typings)
 * that pffft.ts uses (for power-spectrum.ts and training/augment/room.ts): the module factory and the exported C functions, pointers as byte
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
    /** As above in PFFFT's internal order (input and output may be the same buffer). */
    _pffft_transform(setup: number, input: number, output: number, work: number, direction: number): void;
    /** ab += a x b x scaling, spectra in the internal order of _pffft_transform. */
    _pffft_zconvolve_accumulate(setup: number, a: number, b: number, ab: number, scaling: number): void;
  }
  const factory: () => Promise<PffftModule>;
  export default factory;
}
