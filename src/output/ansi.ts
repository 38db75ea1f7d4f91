/**
 * Minimal SGR colour helpers (no chalk: one folder, one vendor, and ora's chalk decides
 * colour from the environment while we take the CLI's decision).
 */

export type Paint = (text: string) => string;

export interface Palette {
  readonly bold: Paint;
  readonly dim: Paint;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly cyan: Paint;
}

const plainPaint: Paint = (text) => text;

function sgr(open: number, close: number): Paint {
  return (text) => (text === '' ? text : `\u001b[${open}m${text}\u001b[${close}m`);
}

/** Colouring functions; identity functions when `enabled` is false (NO_COLOR). */
export function createPalette(enabled: boolean): Palette {
  if (!enabled) {
    return {
      bold: plainPaint,
      dim: plainPaint,
      red: plainPaint,
      green: plainPaint,
      yellow: plainPaint,
      cyan: plainPaint,
    };
  }
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
  };
}
