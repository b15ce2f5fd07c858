/**
 * LZ4 frame decoder (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md and
 * lz4_Block_format.md), decompression only.
 *
 * Why our own: Freqtrade writes its feather candles with pandas' default LZ4 compression, and
 * apache-arrow's JS reader ships no codec (it throws "Record batch is compressed but codec not
 * found" unless one is registered). No maintained pure-JS LZ4 package is installed here, and the
 * format is small and fully specified. Checksums (xxHash32) are not verified: a damaged buffer
 * either fails the structural checks below or yields candles that fail the store's validation.
 */

const FRAME_MAGIC = 0x184d2204;
/** Skippable frames: magic 0x184D2A50..0x184D2A5F, then a 4-byte size. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

export class Lz4Error extends Error {
  override readonly name = 'Lz4Error';
}

/** Growable output: LZ4 matches may reach back into earlier blocks (linked blocks). */
class Output {
  buf: Uint8Array;
  len = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(size, 1024));
  }
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

function u32(src: Uint8Array, at: number): number {
  if (at + 4 > src.length) throw new Lz4Error(`truncated: needed 4 bytes at offset ${at}`);
  return (src[at] | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24)) >>> 0;
}

/** Decodes one LZ4 block (`src[start, end)`) onto `out`. */
function decodeBlock(src: Uint8Array, start: number, end: number, out: Output): void {
  let ip = start;
  while (ip < end) {
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Lz4Error('truncated literal length');
        b = src[ip++];
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > end) throw new Lz4Error('literals run past the end of the block');
    out.reserve(lit);
    out.buf.set(src.subarray(ip, ip + lit), out.len);
    out.len += lit;
    ip += lit;
    // The last sequence of a block has literals only.
    if (ip >= end) break;
    if (ip + 2 > end) throw new Lz4Error('truncated match offset');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > out.len)
      throw new Lz4Error(`match offset ${offset} points before the start of the data`);
    let match = token & 15;
    if (match === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Lz4Error('truncated match length');
        b = src[ip++];
        match += b;
      } while (b === 255);
    }
    match += 4;
    out.reserve(match);
    const buf = out.buf;
    let from = out.len - offset;
    // Byte by byte: a match may overlap the bytes it produces (offset < length is a repeat).
    for (let k = 0; k < match; k++) buf[out.len++] = buf[from++];
  }
}

/** Decompresses one or more concatenated LZ4 frames. Throws Lz4Error on malformed input. */
export function decodeLz4Frames(src: Uint8Array): Uint8Array {
  const out = new Output(src.length * 3);
  let ip = 0;
  if (src.length === 0) throw new Lz4Error('empty input');
  while (ip < src.length) {
    const magic = u32(src, ip);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      ip += 8 + u32(src, ip + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC)
      throw new Lz4Error(`not an LZ4 frame (magic 0x${magic.toString(16)} at offset ${ip})`);
    ip += 4;
    if (ip + 3 > src.length) throw new Lz4Error('truncated frame descriptor');
    const flg = src[ip];
    if (flg >>> 6 !== 1) throw new Lz4Error(`unsupported LZ4 frame version ${flg >>> 6}`);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    if (dictId) throw new Lz4Error('LZ4 frames with a dictionary are not supported');
    // FLG, BD, optional content size (8) and dictionary id (4), header checksum (1).
    ip += 2 + (contentSize ? 8 : 0) + 1;
    for (;;) {
      const word = u32(src, ip);
      ip += 4;
      if (word === 0) break;
      const raw = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (ip + size > src.length)
        throw new Lz4Error(`truncated block: ${size} bytes announced at offset ${ip - 4}`);
      if (raw) {
        out.reserve(size);
        out.buf.set(src.subarray(ip, ip + size), out.len);
        out.len += size;
      } else decodeBlock(src, ip, ip + size, out);
      ip += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) ip += 4;
    if (ip > src.length) throw new Lz4Error('truncated frame end');
  }
  return out.buf.slice(0, out.len);
}
