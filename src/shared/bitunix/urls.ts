// Where the real exchange serves its public market data.

export const BITUNIX_WS_URL = 'wss://fapi.bitunix.com/public/';
export const BITUNIX_REST_URL = 'https://fapi.bitunix.com';
/** The path of the public WebSocket, on the exchange and on the simulator. */
export const PUBLIC_WS_PATH = '/public/';

/** The public WebSocket URL of a server at `origin` (e.g. `ws://127.0.0.1:8080`). */
export function publicWsUrl(origin: string): string {
  return `${origin}${PUBLIC_WS_PATH}`;
}
