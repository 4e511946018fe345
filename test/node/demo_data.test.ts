/**
 * The demo's data readers: IDX files (Fashion-MNIST, examples/qat/idx.ts) written here byte by
 * byte from the format's specification, and the seeded sampling of examples/qat/data.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

import {sample} from '../../examples/qat/data';
import {readFashionMnist, readIdxDataSet} from '../../examples/qat/idx';

/** An IDX file: magic 0x0000 08 <rank>, then each dimension as a big-endian u32, then the bytes. */
function idx(dims: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

describe('demo data: IDX reader', () => {
  let dir: string;
  const pixels = Array.from({length: 3 * 784}, (_, i) => (i * 7) % 256);
  const labels = [9, 0, 4];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-'));
  });
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

  function write(name: string, contents: Buffer, gzip = false): string {
    const file = path.join(dir, gzip ? `${name}.gz` : name);
    fs.writeFileSync(file, gzip ? zlib.gzipSync(contents) : contents);
    return file;
  }

  it('reads gzipped and plain files: pixels / 255, labels as written', () => {
    for (const gzip of [true, false]) {
      const set = readIdxDataSet(write('images', idx([3, 28, 28], pixels), gzip),
                                 write('labels', idx([3], labels), gzip));
      expect(set.n).toBe(3);
      expect(Array.from(set.labels)).toEqual(labels);
      expect(set.images.length).toBe(3 * 784);
      for (const i of [0, 1, 255, 783, 784, 3 * 784 - 1]) {
        expect(set.images[i]).toBe(Math.fround(pixels[i] / 255));
      }
    }
  });

  it('rejects files that do not match the format, naming the file', () => {
    const images = write('images', idx([3, 28, 28], pixels));
    const labelsFile = write('labels', idx([3], labels));
    expect(() => readIdxDataSet(labelsFile, labelsFile)).toThrow(/labels.*not an IDX file of images/);
    expect(() => readIdxDataSet(write('short', idx([3, 28, 28], pixels.slice(1))), labelsFile))
        .toThrow(/short: 2351 bytes of data, 2352 expected/);
    expect(() => readIdxDataSet(write('small', idx([12, 14, 14], pixels)), labelsFile))
        .toThrow(/14x14 images, 28x28 expected/);
    expect(() => readIdxDataSet(images, write('two', idx([2], [1, 2]))))
        .toThrow(/two: 2 labels for 3 images/);
    expect(() => readIdxDataSet(images, write('ten', idx([3], [1, 10, 2]))))
        .toThrow(/label 10 at 1 is not in 0\.\.9/);
  });

  it('says how to install Fashion-MNIST when its files are missing', () => {
    expect(() => readFashionMnist(dir)).toThrow(/apt-get install dataset-fashion-mnist.*--data-dir/);
  });

  it('reads the four files of a Fashion-MNIST folder', () => {
    write('train-images-idx3-ubyte', idx([3, 28, 28], pixels), true);
    write('train-labels-idx1-ubyte', idx([3], labels), true);
    write('t10k-images-idx3-ubyte', idx([1, 28, 28], pixels.slice(0, 784)));
    write('t10k-labels-idx1-ubyte', idx([1], [5]));
    const {train, test} = readFashionMnist(dir);
    expect([train.n, test.n]).toEqual([3, 1]);
    expect(Array.from(test.labels)).toEqual([5]);
  });
});

describe('demo data: seeded samples', () => {
  const n = 50;
  const set = {
    images: Float32Array.from({length: n * 784}, (_, i) => Math.floor(i / 784)),
    labels: Uint8Array.from({length: n}, (_, i) => i % 10),
    n,
  };

  it('takes distinct samples with their own labels, the same for the same seed', () => {
    const a = sample(set, 20, 7);
    const ids = Array.from({length: 20}, (_, k) => a.images[k * 784]);
    expect(new Set(ids).size).toBe(20);
    ids.forEach((id, k) => {
      expect(a.labels[k]).toBe(id % 10);
      expect(a.images[k * 784 + 783]).toBe(id);
    });
    expect(sample(set, 20, 7)).toEqual(a);
    expect(sample(set, 20, 8)).not.toEqual(a);
  });

  it('rejects sizes outside 1..n', () => {
    expect(() => sample(set, 0, 1)).toThrow(/sample size must be in 1\.\.50, got 0/);
    expect(() => sample(set, 51, 1)).toThrow(/got 51/);
  });
});
