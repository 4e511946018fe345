/** A minimal live line plot on a <canvas> (no dependencies): a few named series, autoscaled. */

export interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
  /** Draw a dot on each point (for sparse series). */
  dots?: boolean;
}

export class LinePlot {
  private readonly series = new Map<string, Series>();
  private pending = false;

  constructor(
      private readonly canvas: HTMLCanvasElement, private readonly title: string,
      private readonly yFormat: (v: number) => string = (v) => v.toFixed(2),
      private readonly yRange?: [number, number]) {}

  addSeries(key: string, s: Omit<Series, 'points'>): void {
    this.series.set(key, {...s, points: []});
    this.schedule();
  }

  add(key: string, x: number, y: number): void {
    const s = this.series.get(key);
    if (s == null) throw new Error(`unknown series ${key}`);
    s.points.push([x, y]);
    this.schedule();
  }

  clear(): void {
    for (const s of this.series.values()) s.points = [];
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth || 480;
    const h = c.clientHeight || 240;
    if (c.width !== Math.round(w * dpr)) c.width = Math.round(w * dpr);
    if (c.height !== Math.round(h * dpr)) c.height = Math.round(h * dpr);
    const g = c.getContext('2d');
    if (g == null) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = '12px system-ui, sans-serif';
    g.fillStyle = '#222';
    g.fillText(this.title, 8, 14);

    const all = [...this.series.values()].flatMap((s) => s.points);
    const left = 48;
    const right = w - 12;
    const top = 24;
    const bottom = h - 36;
    g.strokeStyle = '#999';
    g.lineWidth = 1;
    g.strokeRect(left, top, right - left, bottom - top);
    if (all.length === 0) return;
    let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
    let [y0, y1] = this.yRange ?? [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
    if (this.yRange == null) {
      const pad = (y1 - y0) * 0.05 || Math.abs(y1) * 0.05 || 0.05;
      y0 -= pad;
      y1 += pad;
    }
    if (x1 === x0) x1 = x0 + 1;
    const px = (x: number) => left + (x - x0) / (x1 - x0) * (right - left);
    const py = (y: number) => bottom - (y - y0) / (y1 - y0) * (bottom - top);

    g.fillStyle = '#555';
    for (let i = 0; i <= 4; i++) {
      const y = y0 + (y1 - y0) * i / 4;
      g.fillText(this.yFormat(y), 4, py(y) + 4);
      g.strokeStyle = '#eee';
      g.beginPath();
      g.moveTo(left + 1, py(y));
      g.lineTo(right - 1, py(y));
      g.stroke();
    }
    g.fillText(`step ${Math.round(x0)}`, left, bottom + 14);
    g.fillText(`${Math.round(x1)}`, right - 30, bottom + 14);

    let legendX = left;
    for (const s of this.series.values()) {
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.lineWidth = 2;
      g.beginPath();
      s.points.forEach(([x, y], i) => (i === 0 ? g.moveTo(px(x), py(y)) : g.lineTo(px(x), py(y))));
      g.stroke();
      if (s.dots || s.points.length === 1) {
        for (const [x, y] of s.points) {
          g.beginPath();
          g.arc(px(x), py(y), 3, 0, 2 * Math.PI);
          g.fill();
        }
      }
      g.fillRect(legendX, h - 14, 12, 4);
      g.fillStyle = '#222';
      g.fillText(s.label, legendX + 16, h - 8);
      legendX += 24 + g.measureText(s.label).width + 12;
    }
  }
}
