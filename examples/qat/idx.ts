/**
 * Reads the IDX files of (Fashion-)MNIST (Node only): big-endian headers, one byte per pixel or
 * label, optionally gzipped (Debian's dataset-fashion-mnist ships them as *.gz).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

import {type DataSet, NUM_CLASSES, PIXELS} from './data';

/** Where Debian's dataset-fashion-mnist installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const IMAGES_MAGIC = 0x00000803;  // unsigned bytes, 3 dimensions
const LABELS_MAGIC = 0x00000801;  // unsigned bytes, 1 dimension

function readIdx(file: string, magic: number): {dims: number[], data: Uint8Array} {
  const raw = fs.readFileSync(file);
  const bytes = file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4 || view.getUint32(0) !== magic) {
    throw new Error(`${file}: not an IDX file of ${magic === IMAGES_MAGIC ? 'images' : 'labels'} ` +
                    `(magic 0x${magic.toString(16).padStart(8, '0')} expected)`);
  }
  const rank = magic & 0xff;
  const dims = Array.from({length: rank}, (_, i) => view.getUint32(4 + 4 * i));
  const start = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== start + size) {
    throw new Error(`${file}: ${bytes.byteLength - start} bytes of data, ${size} expected`);
  }
  return {dims, data: bytes.subarray(start)};
}

/** An images file and its labels file as a DataSet (pixels scaled to [0, 1]). */
export function readIdxDataSet(imagesFile: string, labelsFile: string): DataSet {
  const images = readIdx(imagesFile, IMAGES_MAGIC);
  const labels = readIdx(labelsFile, LABELS_MAGIC);
  const [n, rows, cols] = images.dims;
  if (rows * cols !== PIXELS) throw new Error(`${imagesFile}: ${rows}x${cols} images, 28x28 expected`);
  if (labels.dims[0] !== n) throw new Error(`${labelsFile}: ${labels.dims[0]} labels for ${n} images`);
  const bad = labels.data.findIndex(l => l >= NUM_CLASSES);
  if (bad >= 0) throw new Error(`${labelsFile}: label ${labels.data[bad]} at ${bad} is not in 0..9`);
  const pixels = new Float32Array(n * PIXELS);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return {images: pixels, labels: Uint8Array.from(labels.data), n};
}

/** Fashion-MNIST's official train (60,000) and test (10,000) sets from `dir`. */
export function readFashionMnist(dir = FASHION_MNIST_DIR): {train: DataSet, test: DataSet} {
  const file = (name: string) => {
    const candidates = [path.join(dir, `${name}.gz`), path.join(dir, name)];
    const found = candidates.find(f => fs.existsSync(f));
    if (found == null) {
      throw new Error(`Fashion-MNIST: ${candidates[0]} is missing. Install Debian's ` +
                      '`dataset-fashion-mnist` (apt-get install dataset-fashion-mnist) or pass ' +
                      '--data-dir DIR (a folder with the four IDX files).');
    }
    return found;
  };
  return {
    train: readIdxDataSet(file('train-images-idx3-ubyte'), file('train-labels-idx1-ubyte')),
    test: readIdxDataSet(file('t10k-images-idx3-ubyte'), file('t10k-labels-idx1-ubyte')),
  };
}
