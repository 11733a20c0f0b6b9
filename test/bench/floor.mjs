#!/usr/bin/env node
// The fetch-and-parse floor: page through one list over HTTPS exactly as the tool does (limit=500,
// keep-alive, bearer token) and JSON.parse each page — nothing else. Run as its own process by
// bench.mjs so it pays what the CLI pays (startup, TLS) and does not share the server's event loop.
//
//   node test/bench/floor.mjs <server-url> <ca-file> <token> <list-path>
//   node test/bench/floor.mjs <server-url> <ca-file> <token> --requests <file>
//
// With --requests the file holds `{ "lists": [paths], "kubelet": [paths] }` — the requests a run of the
// tool made (bench.mjs takes them from the server's log): every list is paged through one after
// another while the kubelet paths are read 32 at a time beside them (as the tool does), each answer
// parsed and dropped. That is the floor of the work a run must fetch, not only the pods.
import { readFileSync } from 'node:fs';
import https from 'node:https';

const [server, caFile, token, ...rest] = process.argv.slice(2);
const ca = readFileSync(caFile);
const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
const listAgent = new https.Agent({ keepAlive: true, ca });
const kubeletAgent = new https.Agent({ keepAlive: true, ca, maxSockets: 32 });

const work = rest[0] === '--requests' ? JSON.parse(readFileSync(rest[1], 'utf8')) : { lists: [rest[0]], kubelet: [] };
let items = 0;
let next = 0;
const kubeletReads = Array.from({ length: Math.min(32, work.kubelet.length) }, async () => {
  while (next < work.kubelet.length) JSON.parse(await get(work.kubelet[next++], kubeletAgent));
});
for (const entry of work.lists) {
  const [path, query] = entry.split('?');
  let cont = '';
  do {
    const q = new URLSearchParams(query);
    q.set('limit', '500');
    if (cont) q.set('continue', cont);
    const list = JSON.parse(await get(`${path}?${q}`, listAgent));
    items += list.items.length;
    cont = list.metadata?.continue ?? '';
  } while (cont);
}
await Promise.all(kubeletReads);
listAgent.destroy();
kubeletAgent.destroy();
process.stderr.write(`FLOOR_ITEMS=${items} FLOOR_KUBELET_READS=${work.kubelet.length}\n`);

function get(path, agent) {
  return new Promise((resolve, reject) => {
    https.get(new URL(path, server), { agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    }).on('error', reject);
  });
}
