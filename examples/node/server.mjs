// A tiny HTTP sidecar for the example: it serves /health on the port given
// as its first argument (tether replaces {port} with a free one), and stops
// cleanly on SIGTERM, as a well-behaved sidecar should.
import http from 'node:http';

const port = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  res.writeHead(404);
  res.end();
});
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => {
  console.log('got SIGTERM, closing');
  server.close(() => process.exit(0));
});
