// The exchange simulator: the class, its options and faults, and the flood's price pattern.
export { ExchangeSim } from './exchange-sim.js';
export { parseFaultAt, parseSimFault, type ScheduledFault, type SimFault } from './faults.js';
export { floodBid } from './flood.js';
export type { FloodRecord, ReplayOptions, SimFloodReport, SimOptions, SimParentMessage, SimStatus, SimWorkerMessage } from './types.js';
