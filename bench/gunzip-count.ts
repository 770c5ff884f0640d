/**
 * The floor the ship benchmark is judged against: gunzip a file and count
 * its lines, nothing else, as a whole process. Prints the line count.
 */

import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

let lines = 0;
for await (const piece of createReadStream(process.argv[2]).pipe(
  createGunzip({ chunkSize: 64 * 1024 }),
)) {
  let at = piece.indexOf(10);
  while (at !== -1) {
    lines++;
    at = piece.indexOf(10, at + 1);
  }
}
console.log(lines);
