import { describe, expect, it } from 'vitest';
import { svgLineChart } from '../../gateways/report/svg-chart.js';

const series = [{ name: 'equity', color: '#1f77b4', points: [[0, 100], [50, 90], [100, 120]] as const }];

describe('svg line chart markers', () => {
  it('draws a dashed line with its label for each marker inside the x range, escaped, and drops the others', () => {
    const svg = svgLineChart('Equity', series, String, String, [
      { x: 50, label: 'HALTED (DRAWDOWN)', color: '#d62728' },
      { x: 150, label: 'after the data', color: '#d62728' },
      { x: 100, label: '<b>&', color: '#2ca02c' },
    ]);
    const marks = [...svg.matchAll(/<g class="marker" data-marker="([^"]*)"><line x1="([\d.]+)" x2="([\d.]+)" y1="16" y2="252" stroke="([^"]+)" stroke-dasharray="4 3"\/><text[^>]*>([^<]*)<\/text><\/g>/g)];
    expect(marks.map((m) => m[1])).toEqual(['HALTED (DRAWDOWN)', '&#60;b&#62;&#38;']);
    // x = 50 of 0…100 is the middle of the plot (70 … 944), x = 100 its right edge.
    expect(Number(marks[0]?.[2])).toBeCloseTo(70 + 0.5 * 874, 1);
    expect(Number(marks[1]?.[2])).toBeCloseTo(944, 1);
    expect(marks[1]?.[4]).toBe('#2ca02c');
    expect(marks[0]?.[5]).toBe('HALTED (DRAWDOWN)');
  });

  it('draws none without markers', () => {
    expect(svgLineChart('Equity', series, String, String)).not.toContain('class="marker"');
  });
});
