// The Bitunix futures wire format: the only place that knows its field names, paths and channels.
// The engine's client and the simulator both go through it, so the simulator's bytes test the decoder.
export * from './channels.js';
export * from './control.js';
export * from './decode.js';
export * from './encode.js';
export * from './frame.js';
export * from './frame-reader.js';
export * from './malformed.js';
export * from './rest.js';
export * from './urls.js';
