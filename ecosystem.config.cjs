// pm2 process file: one engine per symbol (`pm2 start ecosystem.config.cjs`, or `--only engine-BTCUSDT`).
// pm2 is a deploy tool (AGPL-3.0) and is never imported by the engine.
//  - wait_ready: the engine sends 'ready' once market data flows; listen_timeout bounds the wait.
//  - kill_timeout: pm2 sends SIGINT, then SIGKILL after this; the engine's ordered shutdown takes < 5 s.
//  - stop_exit_codes: 2 (bad arguments) and 3 (state directory locked) are not restarted; 1 (fatal) and
//    crashes are, with exponential backoff. 0 is deliberately NOT listed: pm2 reports a process killed by a
//    signal (kill -9, the kernel's OOM killer) as exit code 0 (`code || 0` in pm2's God.js), so listing 0
//    would leave a killed engine dead. Stop the engine under pm2 with `pm2 stop`, not the kill file.
//  - max_memory_restart sits above the engine's own --max-rss-mb (1024) so the engine stops gracefully first.
const path = require('node:path');

const symbols = ['BTCUSDT', 'ETHUSDT'];

module.exports = {
  apps: symbols.map((symbol) => ({
    name: `engine-${symbol}`,
    script: path.join(__dirname, 'dist', 'main.js'),
    args: ['--symbol', symbol, '--state-dir', path.join(__dirname, 'state', symbol)],
    cwd: __dirname,
    exec_mode: 'fork',
    instances: 1,
    autorestart: true,
    wait_ready: true,
    listen_timeout: 30_000,
    kill_timeout: 10_000,
    shutdown_with_message: false,
    stop_exit_codes: [2, 3],
    exp_backoff_restart_delay: 200,
    min_uptime: '10s',
    max_restarts: 50,
    max_memory_restart: '1200M',
    time: true,
    env: { NODE_ENV: 'production' },
  })),
};
