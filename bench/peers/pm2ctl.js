// pm2ctl: a long-lived pm2 client for the peer benchmark, so that the
// figures measure pm2's daemon and not the start-up of its CLI. It connects
// (launching the daemon of $PM2_HOME), then reads one JSON command per line
// on stdin and answers one JSON line on stdout when pm2 calls back:
//   {"id":1,"op":"start","app":{...}}  pm2.start(app)
//   {"id":2,"op":"stop","name":"x"}     pm2.stop(name)
//   {"id":3,"op":"kill"}                pm2.killDaemon(), then exit
'use strict';
const pm2 = require(process.env.PM2_MODULE);
const readline = require('readline');

function reply(id, err, extra) {
  const o = Object.assign({ id, ok: !err }, extra || {});
  if (err) o.err = String(err.message || err);
  process.stdout.write(JSON.stringify(o) + '\n');
}

pm2.connect((err) => {
  reply(0, err);
  if (err) process.exit(1);
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const c = JSON.parse(line);
    switch (c.op) {
      case 'start':
        pm2.start(c.app, (err, procs) => reply(c.id, err));
        break;
      case 'stop':
        pm2.stop(c.name, (err) => reply(c.id, err));
        break;
      case 'kill':
        pm2.killDaemon((err) => {
          reply(c.id, err);
          pm2.disconnect();
          process.exit(0);
        });
        break;
      default:
        reply(c.id, 'unknown op ' + c.op);
    }
  });
  rl.on('close', () => {
    pm2.disconnect();
    process.exit(0);
  });
});
