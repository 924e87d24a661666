// The screenshot editor: arrow, rectangle, pen, text and a redact box (heavy pixelation of what is
// under it, for personal data on screen). Shapes stay editable (undo) until export; the exported
// PNG is what gets uploaded.
export type Tool = "arrow" | "rect" | "pen" | "text" | "blur";

type Box = { tool: "arrow" | "rect" | "blur"; x1: number; y1: number; x2: number; y2: number; color: string };
type Pen = { tool: "pen"; points: [number, number][]; color: string };
type Text = { tool: "text"; x: number; y: number; text: string; color: string };
export type Shape = Box | Pen | Text;

export class Annotator {
  tool: Tool = "arrow";
  color = "#e11d48";
  text = "";
  shapes: Shape[] = [];
  private drawing: Shape | null = null;
  private readonly ctx: CanvasRenderingContext2D;
  onChange: () => void = () => undefined;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly image: ImageBitmap,
  ) {
    canvas.width = image.width;
    canvas.height = image.height;
    this.ctx = canvas.getContext("2d")!;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerup", () => this.up());
    canvas.addEventListener("pointerleave", () => this.up());
    this.render();
  }

  private get line(): number {
    return Math.max(3, Math.round(this.canvas.width / 400));
  }

  private point(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * this.canvas.width) / r.width, ((e.clientY - r.top) * this.canvas.height) / r.height];
  }

  private down(e: PointerEvent): void {
    const [x, y] = this.point(e);
    if (this.tool === "text") {
      const text = this.text.trim();
      if (!text) return;
      this.shapes.push({ tool: "text", x, y, text, color: this.color });
      this.render();
      this.onChange();
      return;
    }
    this.canvas.setPointerCapture?.(e.pointerId);
    this.drawing = this.tool === "pen" ? { tool: "pen", points: [[x, y]], color: this.color } : { tool: this.tool, x1: x, y1: y, x2: x, y2: y, color: this.color };
  }

  private move(e: PointerEvent): void {
    if (!this.drawing) return;
    const [x, y] = this.point(e);
    if (this.drawing.tool === "pen") this.drawing.points.push([x, y]);
    else if (this.drawing.tool !== "text") {
      this.drawing.x2 = x;
      this.drawing.y2 = y;
    }
    this.render();
  }

  private up(): void {
    const s = this.drawing;
    this.drawing = null;
    if (!s) return;
    const tiny = s.tool === "pen" ? s.points.length < 2 : s.tool !== "text" && Math.abs(s.x2 - s.x1) + Math.abs(s.y2 - s.y1) < 4;
    if (!tiny) {
      this.shapes.push(s);
      this.onChange();
    }
    this.render();
  }

  undo(): void {
    this.shapes.pop();
    this.render();
    this.onChange();
  }

  clear(): void {
    this.shapes = [];
    this.render();
    this.onChange();
  }

  render(): void {
    const c = this.ctx;
    c.drawImage(this.image, 0, 0);
    const all = this.drawing ? [...this.shapes, this.drawing] : this.shapes;
    // Redact boxes first, from the screenshot itself: nothing under them survives.
    for (const s of all) if (s.tool === "blur") this.pixelate(s);
    for (const s of all) if (s.tool !== "blur") this.draw(s);
  }

  private pixelate(s: Box): void {
    const x = Math.round(Math.min(s.x1, s.x2));
    const y = Math.round(Math.min(s.y1, s.y2));
    const w = Math.max(1, Math.round(Math.abs(s.x2 - s.x1)));
    const h = Math.max(1, Math.round(Math.abs(s.y2 - s.y1)));
    const block = Math.max(16, Math.round(Math.min(w, h) / 3));
    const small = new OffscreenCanvas(Math.max(1, Math.ceil(w / block)), Math.max(1, Math.ceil(h / block)));
    const sc = small.getContext("2d")!;
    sc.imageSmoothingEnabled = true;
    sc.drawImage(this.image, x, y, w, h, 0, 0, small.width, small.height);
    this.ctx.imageSmoothingEnabled = false;
    this.ctx.drawImage(small, 0, 0, small.width, small.height, x, y, w, h);
    this.ctx.imageSmoothingEnabled = true;
  }

  private draw(s: Shape): void {
    const c = this.ctx;
    c.strokeStyle = s.color;
    c.fillStyle = s.color;
    c.lineWidth = this.line;
    c.lineCap = "round";
    c.lineJoin = "round";
    if (s.tool === "rect") {
      c.strokeRect(Math.min(s.x1, s.x2), Math.min(s.y1, s.y2), Math.abs(s.x2 - s.x1), Math.abs(s.y2 - s.y1));
    } else if (s.tool === "arrow") {
      const angle = Math.atan2(s.y2 - s.y1, s.x2 - s.x1);
      const head = this.line * 5;
      c.beginPath();
      c.moveTo(s.x1, s.y1);
      c.lineTo(s.x2, s.y2);
      c.stroke();
      c.beginPath();
      c.moveTo(s.x2, s.y2);
      c.lineTo(s.x2 - head * Math.cos(angle - Math.PI / 7), s.y2 - head * Math.sin(angle - Math.PI / 7));
      c.lineTo(s.x2 - head * Math.cos(angle + Math.PI / 7), s.y2 - head * Math.sin(angle + Math.PI / 7));
      c.closePath();
      c.fill();
    } else if (s.tool === "pen") {
      c.beginPath();
      s.points.forEach(([x, y], i) => (i ? c.lineTo(x, y) : c.moveTo(x, y)));
      c.stroke();
    } else if (s.tool === "text") {
      const size = Math.max(16, Math.round(this.canvas.width / 60));
      c.font = `bold ${size}px system-ui, sans-serif`;
      c.textBaseline = "top";
      c.lineWidth = Math.max(3, size / 5);
      c.strokeStyle = "#fff";
      c.strokeText(s.text, s.x, s.y);
      c.fillText(s.text, s.x, s.y);
    }
  }

  toBlob(): Promise<Blob> {
    return new Promise((resolve, reject) => this.canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("export failed"))), "image/png"));
  }
}
