// comlink ships no typings for its ESM node adapter (TS7016); this shim types it.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  import type { NodeEndpoint } from 'comlink/dist/umd/node-adapter';
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
