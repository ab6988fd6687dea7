import { useMemo } from "preact/hooks";
import { encode } from "uqr";

/**
 * qrPath draws a QR code's dark modules as one SVG path, a rectangle per horizontal run of dark modules, in
 * module units. Built as elements rather than markup, it needs no innerHTML and no inline styles.
 */
export function qrPath(data: boolean[][]): string {
  const parts: string[] = [];
  data.forEach((row, y) => {
    let x = 0;
    while (x < row.length) {
      if (!row[x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < row.length && row[x]) x++;
      parts.push(`M${start} ${y}h${x - start}v1h${start - x}z`);
    }
  });
  return parts.join("");
}

/**
 * QrCode shows text as a QR code drawn in the page, for a phone's camera; `label` is what it is for, its
 * accessible name. It has the four-module quiet zone scanners expect.
 */
export function QrCode({ text, label, id }: { text: string; label: string; id?: string }) {
  const qr = useMemo(() => encode(text, { ecc: "M", border: 4 }), [text]);
  const d = useMemo(() => qrPath(qr.data), [qr]);
  return (
    <svg
      id={id}
      class="qr"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${qr.size} ${qr.size}`}
      shape-rendering="crispEdges"
      xmlns="http://www.w3.org/2000/svg"
    >
      <rect class="qr__light" width={qr.size} height={qr.size} />
      <path class="qr__dark" d={d} />
    </svg>
  );
}
