#!/usr/bin/env node
// The fetch-and-parse floor: page through one list over HTTPS exactly as the tool does (limit=500,
// keep-alive, bearer token) and JSON.parse each page — nothing else. Run as its own process by
// bench.mjs so it pays what the CLI pays (startup, TLS) and does not share the server's event loop.
//
//   node test/bench/floor.mjs <server-url> <ca-file> <token> <list-path>
import { readFileSync } from 'node:fs';
import https from 'node:https';

const [server, caFile, token, path] = process.argv.slice(2);
const agent = new https.Agent({ keepAlive: true, ca: readFileSync(caFile) });
let cont = '';
let items = 0;
do {
  const q = new URLSearchParams({ limit: '500' });
  if (cont) q.set('continue', cont);
  const body = await new Promise((resolve, reject) => {
    https.get(new URL(`${path}?${q}`, server), { agent, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    }).on('error', reject);
  });
  const list = JSON.parse(body);
  items += list.items.length;
  cont = list.metadata?.continue ?? '';
} while (cont);
agent.destroy();
process.stderr.write(`FLOOR_ITEMS=${items}\n`);
