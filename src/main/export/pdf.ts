import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';

export interface PdfPage {
  svg: string;
  widthInches: number;
  heightInches: number;
}

/**
 * Vector PDF, one figure per page sized to the figure, drawn from the text-free SVG: only path
 * operators reach the page, so it needs no fonts and embeds no image.
 */
export function svgsToPdf(pages: readonly PdfPage[], title: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ autoFirstPage: false, margin: 0, info: { Title: title, Creator: 'LTH Lab', Producer: 'LTH Lab' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    try {
      for (const p of pages) {
        const w = p.widthInches * 72;
        const h = p.heightInches * 72;
        doc.addPage({ size: [w, h], margin: 0 });
        SVGtoPDF(doc, p.svg, 0, 0, { width: w, height: h, preserveAspectRatio: 'xMidYMid meet', assumePt: true });
      }
      doc.end();
    } catch (e) {
      reject(e);
    }
  });
}
