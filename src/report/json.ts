import type { Report } from './model.js';
import { sanitizeDeep } from './sanitize.js';

export function renderJson(report: Report): string {
  return JSON.stringify(sanitizeDeep(report), null, 2) + '\n';
}
