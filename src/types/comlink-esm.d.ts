// comlink ships no typings for its ES module files (TS7016); this shim types them as the package's own.
declare module 'comlink/dist/esm/comlink.mjs' {
  export * from 'comlink';
}

declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  import type { NodeEndpoint } from 'comlink/dist/umd/node-adapter';
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
