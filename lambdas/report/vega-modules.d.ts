// The Vega modules the report imports ship no types of their own: their API is typed in vega-typings (as the `vega`
// package types itself), and the transform modules are only handed to the registry.
declare module 'vega-parser' {
  export { parse } from 'vega-typings';
}
declare module 'vega-view' {
  export { View } from 'vega-typings';
}
declare module 'vega-dataflow' {
  export const transforms: Record<string, unknown>;
}
declare module 'vega-encode';
declare module 'vega-transforms';
declare module 'vega-view-transforms';
