/* Class-index masks as base64 8-bit greyscale PNG (colour type 0), the segmentation answer.
encodeMaskPng is synchronous, so `value` answers at once: one fixed-Huffman deflate block of
literals and distance-1 matches (runs; a mask of a few regions is a few KB, noise 9 bits a
pixel). decodeMaskPng (drafts) lets the browser decode a greyscale PNG.
*/

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 255] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function adler32(bytes) {
  let [a, b] = [1, 0];
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(i + 5552, bytes.length); // the most sums before b can overflow 2^32
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

// Fixed Huffman codes (RFC 1951 3.2.6), bit-reversed since deflate packs codes MSB first.
const CODE = new Uint16Array(288);
const CODE_BITS = new Uint8Array(288);
for (let s = 0; s < 288; s++) {
  const [base, first, bits] = s < 144 ? [0x30, 0, 8] : s < 256 ? [0x190, 144, 9] : s < 280 ? [0, 256, 7] : [0xc0, 280, 8];
  let code = base + s - first;
  let reversed = 0;
  for (let k = 0; k < bits; k++, code >>= 1) reversed = (reversed << 1) | (code & 1);
  CODE[s] = reversed;
  CODE_BITS[s] = bits;
}
// Length codes 257 + c: their extra bits and base lengths.
const LENGTH_EXTRA = Array.from({ length: 29 }, (_, c) => (c < 8 || c === 28 ? 0 : (c - 4) >> 2));
const LENGTH_BASE = LENGTH_EXTRA.map((_, c) => (c === 28 ? 258 : 3 + LENGTH_EXTRA.slice(0, c).reduce((n, e) => n + (1 << e), 0)));

/** zlib bytes of `data`: one fixed-Huffman block of literals and runs (distance 1 matches). */
function zlibRuns(data) {
  // At most 9 bits a byte (a literal), and the header, trailer and end of block.
  const out = new Uint8Array(((data.length * 9) >> 3) + 16);
  let [at, acc, used] = [0, 0, 0];
  const put = (value, bits) => {
    acc |= value << used;
    used += bits;
    while (used >= 8) {
      out[at++] = acc & 255;
      acc >>>= 8;
      used -= 8;
    }
  };
  const symbol = (s) => put(CODE[s], CODE_BITS[s]);
  put(0x0178, 16); // zlib header 78 01
  put(3, 3); // the final block, fixed Huffman codes
  for (let i = 0; i < data.length; ) {
    const byte = data[i++];
    symbol(byte);
    let run = 0;
    while (i + run < data.length && data[i + run] === byte) run++;
    while (run >= 3) {
      const length = Math.min(run, 258);
      let code = 28;
      while (LENGTH_BASE[code] > length) code--;
      symbol(257 + code);
      put(length - LENGTH_BASE[code], LENGTH_EXTRA[code]);
      put(0, 5); // distance code 0: distance 1
      i += length;
      run -= length;
    }
  }
  symbol(256);
  if (used) put(0, 8 - used);
  const checksum = adler32(data);
  for (const shift of [24, 16, 8, 0]) put((checksum >>> shift) & 255, 8);
  return out.subarray(0, at);
}

function chunk(type, data) {
  const bytes = new Uint8Array(12 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) bytes[4 + i] = type.charCodeAt(i);
  bytes.set(data, 8);
  view.setUint32(8 + data.length, crc32(bytes.subarray(4, 8 + data.length)));
  return bytes;
}

/** Base64 of an 8-bit greyscale PNG whose pixels are `mask` (row-major, `width` x `height`). */
export function encodeMaskPng(mask, width, height) {
  const raw = new Uint8Array(height * (width + 1)); // filter byte 0 (None) before each row
  for (let y = 0; y < height; y++) raw.set(mask.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bit depth; colour type 0, compression 0, filter 0, interlace 0 follow
  const parts = [Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10), chunk("IHDR", header), chunk("IDAT", zlibRuns(raw)), chunk("IEND", new Uint8Array(0))];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => (png.set(p, offset), offset + p.length), 0);
  let text = "";
  for (let i = 0; i < png.length; i += 0x8000) text += String.fromCharCode.apply(null, png.subarray(i, i + 0x8000));
  return btoa(text);
}

/** `{width, height, pixels}` of a base64 (or data URL) greyscale PNG (a draft of this element),
 * decoded by the browser without colour conversion: the red channel is the grey value. */
export async function decodeMaskPng(base64) {
  const text = atob(String(base64).replace(/^data:image\/png;base64,/i, "").replace(/\s+/g, ""));
  const png = new Blob([Uint8Array.from(text, (c) => c.charCodeAt(0))], { type: "image/png" });
  const bitmap = await createImageBitmap(png, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const { width, height } = bitmap;
  const context = new OffscreenCanvas(width, height).getContext("2d");
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, width, height).data;
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rgba[i * 4];
  return { width, height, pixels };
}
