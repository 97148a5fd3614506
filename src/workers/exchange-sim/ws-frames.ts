// Whole WebSocket text frames built ahead by ws's own framing (`Sender.frame`, public in ws 8 though
// @types/ws does not declare it), for the flood: a batch of them goes out in one socket write.
import * as wsModule from 'ws';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

const Sender = (wsModule as unknown as { Sender?: { frame?: (data: Buffer, options: FrameOptions) => Buffer[] } }).Sender;
if (typeof Sender?.frame !== 'function') throw new Error('ws no longer exports Sender.frame: the flood cannot frame its messages');
const frame = Sender.frame.bind(Sender);

const TEXT = 0x1;

/** `payload` as one unmasked, final text frame (what a server sends), header and payload in one buffer. */
export function textFrame(payload: Buffer): Buffer {
  return Buffer.concat(frame(payload, { fin: true, opcode: TEXT, mask: false, readOnly: true, rsv1: false }));
}
